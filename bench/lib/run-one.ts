/**
 * Child-process entry of the report runner: imports one benchmark module, runs it and sends its results to
 * the parent over IPC. Each benchmark gets a fresh process so heaps, JIT state and RSS figures don't leak
 * from one benchmark into the next.
 */
import { pathToFileURL } from 'node:url';
import type { BenchModule } from './result.js';

const [file, mode] = process.argv.slice(2);
if (!file || !process.send) {
  console.error('usage: run-one.ts <bench file> [quick|full] (as a forked child)');
  process.exit(64);
}
const mod = (await import(pathToFileURL(file).href)) as Partial<BenchModule>;
if (typeof mod.run !== 'function') throw new Error(`${file} exports no run()`);
const results = await mod.run({ quick: mode === 'quick' });
process.send({ results }, undefined, {}, () => process.exit(0));
