/**
 * `npm run bench [-- --quick] [-- --only NAME]`: runs every `bench/*.bench.ts` (each in its own process),
 * prints one table — each figure beside its same-run anchor, the ratio, the target and a pass/short mark —
 * plus the machine, and writes the same as JSON to bench/results/latest.json (full runs) or
 * bench/results/quick-latest.json (--quick). Every full run is also appended to bench/results/history.jsonl
 * so figures can be compared over time. A timing never fails this command; a benchmark that crashes does.
 */
import { fork } from 'node:child_process';
import { appendFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import type { BenchResult } from './lib/result.js';

const benchDir = fileURLToPath(new URL('.', import.meta.url));
const resultsDir = join(benchDir, 'results');
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const onlyIndex = args.indexOf('--only');
const only = onlyIndex >= 0 ? args[onlyIndex + 1] : undefined;

interface BenchRun {
  readonly bench: string;
  readonly seconds: number;
  readonly results: BenchResult[];
  readonly error?: string;
}

export interface BenchReport {
  readonly date: string;
  readonly mode: 'quick' | 'full';
  readonly machine: { cores: number; cpu: string; memoryGiB: number; node: string; platform: string };
  readonly runs: BenchRun[];
}

function runBench(file: string): Promise<BenchRun> {
  const started = performance.now();
  const bench = file.replace(/\.bench\.ts$/, '');
  return new Promise((resolve) => {
    let results: BenchResult[] | undefined;
    const child = fork(
      join(benchDir, 'lib', 'run-one.ts'),
      [join(benchDir, file), quick ? 'quick' : 'full'],
      {
        execArgv: ['--import', 'tsx', '--expose-gc'],
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      },
    );
    child.on('message', (m: { results?: BenchResult[] }) => {
      results = m.results;
    });
    child.on('exit', (code, signal) => {
      const seconds = (performance.now() - started) / 1000;
      if (results && code === 0) resolve({ bench, seconds, results });
      else resolve({ bench, seconds, results: results ?? [], error: `exited with ${signal ?? code}` });
    });
  });
}

function fmt(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const a = Math.abs(n);
  if (a >= 1000) return Math.round(n).toLocaleString('en-US');
  if (a >= 100) return n.toFixed(0);
  if (a >= 1) return n.toFixed(2);
  return n.toPrecision(3);
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

function previousReport(path: string): BenchReport | undefined {
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as BenchReport;
  } catch {
    return undefined;
  }
}

async function main(): Promise<number> {
  const files = readdirSync(benchDir)
    .filter((f) => f.endsWith('.bench.ts'))
    .filter((f) => only === undefined || f.includes(only))
    .sort();
  if (files.length === 0) {
    console.error('no benchmark matched');
    return 64;
  }
  const runs: BenchRun[] = [];
  for (const f of files) {
    console.log(`\n== ${f}${quick ? ' (quick)' : ''}`);
    runs.push(await runBench(f));
  }
  const cpu = cpus();
  const report: BenchReport = {
    date: new Date().toISOString(),
    mode: quick ? 'quick' : 'full',
    machine: {
      cores: cpu.length,
      cpu: cpu[0]?.model ?? 'unknown',
      memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
      node: process.version,
      platform: `${process.platform}-${process.arch}`,
    },
    runs,
  };

  const latestPath = join(resultsDir, quick ? 'quick-latest.json' : 'latest.json');
  const previous = previousReport(latestPath);
  const previousRatio = new Map<string, number>();
  for (const r of previous?.runs ?? [])
    for (const x of r.results) previousRatio.set(`${r.bench}/${x.name}`, x.ratio);

  const rows: string[][] = [['id', 'figure', 'value', 'anchor', 'ratio', 'prev', 'target', 'mark']];
  for (const run of runs) {
    for (const r of run.results) {
      const prev = previousRatio.get(`${run.bench}/${r.name}`);
      rows.push([
        r.id,
        r.name,
        `${fmt(r.value)} ${r.unit}`,
        `${fmt(r.anchor)} (${r.anchorName})`,
        `${r.ratio.toFixed(2)}x`,
        prev === undefined ? '' : `${prev.toFixed(2)}x`,
        r.target ?? '',
        r.pass === undefined ? '-' : r.pass ? 'pass' : 'short',
      ]);
    }
    if (run.error) rows.push(['!!', `${run.bench} FAILED: ${run.error}`, '', '', '', '', '', 'error']);
  }
  const m = report.machine;
  console.log(
    `\nPatchbay benchmarks (${report.mode}) — ${m.cores} cores (${m.cpu}), ${m.memoryGiB} GiB, Node ${m.node}`,
  );
  if (quick)
    console.log('quick mode: tiny sizes to keep the benchmarks working; the figures are not meaningful');
  console.log(table(rows));

  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(latestPath, `${JSON.stringify(report, null, 2)}\n`);
  if (!quick) appendFileSync(join(resultsDir, 'history.jsonl'), `${JSON.stringify(report)}\n`);
  console.log(`\nwritten: ${latestPath}`);
  const failed = runs.filter((r) => r.error);
  if (failed.length > 0) {
    console.error(`benchmarks that crashed: ${failed.map((r) => r.bench).join(', ')}`);
    return 1;
  }
  return 0;
}

process.exitCode = await main();
