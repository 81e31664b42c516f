#!/usr/bin/env node
// Runs the test suite with node:test. Node 20's runner takes no globs, so this lists the files itself.
// Usage: node scripts/run-tests.mjs [--quick] [folder-or-file-filter ...]   e.g. `npm test -- unit/cab`
// --quick (`npm run test:quick`): the edit-test loop: test/unit and test/fuzz only, each fuzz suite at 500
// iterations unless PATCHBAY_FUZZ_ITERATIONS says otherwise (test/helpers/fuzz.ts); the full suite is `npm test`.
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
const testRoot = join(root, 'test');

function collect(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (name === 'fixtures' || name === 'node_modules') continue;
    if (statSync(p).isDirectory()) out.push(...collect(p));
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

/** dist/cli/bin.js exists and is newer than every file under src/ (so it was built from this tree). */
function builtIsCurrent() {
  let built;
  try {
    built = statSync(join(root, 'dist', 'cli', 'bin.js')).mtimeMs;
  } catch {
    return false;
  }
  const newest = (dir) =>
    Math.max(
      0,
      ...readdirSync(dir).map((name) => {
        const p = join(dir, name);
        const st = statSync(p);
        return st.isDirectory() ? newest(p) : st.mtimeMs;
      }),
    );
  return newest(join(root, 'src')) <= built;
}

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const filters = args.filter((a) => a !== '--quick');
const quickRoots = ['unit/', 'fuzz/'];
const files = collect(testRoot)
  .filter((f) => !quick || quickRoots.some((r) => relative(testRoot, f).startsWith(r)))
  .filter((f) => filters.length === 0 || filters.some((flt) => relative(testRoot, f).includes(flt)));
const env = { ...process.env };
if (quick && (env.PATCHBAY_FUZZ_ITERATIONS ?? '') === '') env.PATCHBAY_FUZZ_ITERATIONS = '500';
if (files.length === 0) {
  console.error('no test files matched', filters);
  process.exit(1);
}
// Child CLI processes run the build when it is current (test/helpers/cli.ts says why).
if (env.PATCHBAY_TEST_BUILT_CLI === undefined) env.PATCHBAY_TEST_BUILT_CLI = builtIsCurrent() ? '1' : '0';
const concurrency = process.env.PATCHBAY_TEST_CONCURRENCY ?? '2';
const r = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, '--test-reporter=spec', ...files],
  { stdio: 'inherit', cwd: root, env },
);
process.exit(r.status ?? 1);
