/**
 * Runs the real `patchbay` CLI (src/cli/bin.ts through tsx) as a child process, the way an operator does.
 * The child gets a clean environment: no inherited PATCHBAY_* or proxy variables, only what the test sets.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer } from 'node:net';

export const binPath = fileURLToPath(new URL('../../src/cli/bin.ts', import.meta.url));
const tsxLoader = import.meta.resolve('tsx');
/**
 * The built CLI, used instead of tsx when scripts/run-tests.mjs found dist/ newer than every source file
 * (PATCHBAY_TEST_BUILT_CLI=1): the same code, without compiling TypeScript in each of the suite's hundreds of
 * child processes (a third of the CPU per start on this machine). Editing a source file makes dist stale,
 * and the runner falls back to tsx, so a test never runs old code.
 */
const builtBinPath = fileURLToPath(new URL('../../dist/cli/bin.js', import.meta.url));
const cliEntry: readonly string[] =
  process.env.PATCHBAY_TEST_BUILT_CLI === '1' ? [builtBinPath] : ['--import', tsxLoader, binPath];

export function cliEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined || k.startsWith('PATCHBAY_') || /^(https?|no)_proxy$/i.test(k)) continue;
    env[k] = v;
  }
  return { ...env, ...extra };
}

export function spawnCli(
  args: readonly string[],
  opts: { cwd: string; env?: Record<string, string> },
): ChildProcess {
  return spawn(process.execPath, [...cliEntry, ...args], {
    cwd: opts.cwd,
    env: cliEnv(opts.env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A started command: its pid at once, its exit code and output when it ends (killed after `timeoutMs`). */
export function startCliProcess(
  args: readonly string[],
  opts: {
    cwd: string;
    env?: Record<string, string>;
    timeoutMs?: number;
    /** Called with all of stderr so far, each time more arrives. */
    onStderr?: (stderr: string) => void;
  },
): { pid: number; done: Promise<CliResult> } {
  const child = spawnCli(args, opts);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
    opts.onStderr?.(stderr);
  });
  const done = new Promise<CliResult>((resolve, reject) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
  return { pid: child.pid!, done };
}

/** Runs a command to completion (with a time limit) and collects its output. */
export function runCliProcess(
  args: readonly string[],
  opts: { cwd: string; env?: Record<string, string>; timeoutMs?: number },
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawnCli(args, opts);
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`patchbay ${args.join(' ')} did not finish in time\n${stdout}\n${stderr}`));
    }, opts.timeoutMs ?? 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/**
 * An operator's fresh install in `dir`: `patchbay.ini` written, then `patchbay db migrate` (only it and
 * `serve` create the database; `sync` and the rest refuse to). Throws with the output when the migrate fails.
 */
export async function initCliDir(dir: string, ini: string): Promise<void> {
  await writeFile(join(dir, 'patchbay.ini'), ini);
  const r = await runCliProcess(['db', 'migrate'], { cwd: dir, timeoutMs: 60_000 });
  if (r.code !== 0) throw new Error(`patchbay db migrate exited ${r.code}\n${r.stdout}\n${r.stderr}`);
}

/** A port that was free a moment ago (the OS picks it); good enough for loopback tests. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = addr !== null && typeof addr === 'object' ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}
