import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCliProcess } from '../../helpers/cli.js';

async function tempDir(t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'pb-cli-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

void test('config check: each problem with its INI path on stderr, exit 78; a good file prints "configuration OK", exit 0', async (t) => {
  const dir = await tempDir(t);
  await writeFile(join(dir, 'bad.ini'), '[server]\nhttp_port = abc\nhttp_prot = 1\n[log]\nformat = xml\n');
  const bad = await runCliProcess(['config', 'check', '-c', 'bad.ini'], { cwd: dir });
  assert.equal(bad.code, 78, bad.stderr);
  assert.equal(bad.stdout, '');
  assert.match(bad.stderr, /^bad\.ini: 3 problems$/m);
  assert.match(
    bad.stderr,
    /^ {2}server\.http_port: expected an integer 0\.\.65535, got "abc" \(bad\.ini line 2\)$/m,
  );
  assert.match(
    bad.stderr,
    /^ {2}server\.http_prot: unknown key \(did you mean http_port\?\) \(bad\.ini line 3\)$/m,
  );
  assert.match(
    bad.stderr,
    /^ {2}log\.format: expected one of auto, json, pretty, got "xml" \(bad\.ini line 5\)$/m,
  );
  assert.doesNotMatch(bad.stderr, /at .*\.ts:\d+/, 'no stack trace');

  await writeFile(join(dir, 'good.ini'), '[server]\nhttp_port = 9530\n');
  const good = await runCliProcess(['config', 'check', '--config', 'good.ini'], { cwd: dir });
  assert.equal(good.code, 0, good.stderr);
  assert.match(good.stdout, /^configuration OK \(.*good\.ini\)$/m);
});

void test('config check --json, env problems, the ./patchbay.ini default and a missing -c file', async (t) => {
  const dir = await tempDir(t);
  const json = await runCliProcess(['config', 'check', '--json'], {
    cwd: dir,
    env: { PATCHBAY_ADMIN_PORT: '70000' },
  });
  assert.equal(json.code, 78);
  const parsed = JSON.parse(json.stdout) as { ok: boolean; problems: { path: string; source: string }[] };
  assert.equal(parsed.ok, false);
  assert.deepEqual(
    parsed.problems.map((p) => [p.path, p.source]),
    [['admin.port', 'PATCHBAY_ADMIN_PORT']],
  );

  const none = await runCliProcess(['config', 'check'], { cwd: dir });
  assert.equal(none.code, 0);
  assert.match(none.stdout, /configuration OK \(embedded defaults\)/);

  await writeFile(join(dir, 'patchbay.ini'), '[sync]\nsyncs_per_day = 99\n');
  const implicit = await runCliProcess(['config', 'check'], { cwd: dir });
  assert.equal(implicit.code, 78, 'picks up ./patchbay.ini by default');
  assert.match(implicit.stderr, /sync\.syncs_per_day: expected an integer 0\.\.24, got "99"/);

  const missing = await runCliProcess(['config', 'check', '-c', 'nope.ini'], { cwd: dir });
  assert.equal(missing.code, 78);
  assert.match(missing.stderr, /cannot open the configuration file: no such file/);
});

void test('config show redacts secrets; config defaults is a valid file; other commands fail with exit 78 on bad config', async (t) => {
  const dir = await tempDir(t);
  const show = await runCliProcess(['config', 'show'], {
    cwd: dir,
    env: {
      PATCHBAY_DATABASE_DRIVER: 'postgres',
      PATCHBAY_DATABASE_URL: 'postgres://pb@db.example/pb',
      PATCHBAY_DATABASE_PASSWORD: 'hunter2',
      HTTPS_PROXY: 'http://alice:proxy-pw@proxy.example:3128',
    },
  });
  assert.equal(show.code, 0, show.stderr);
  assert.ok(!show.stdout.includes('hunter2') && !show.stdout.includes('proxy-pw'), show.stdout);
  assert.match(show.stdout, /^password = <redacted>$/m);
  assert.match(show.stdout, /^proxy_url = http:\/\/proxy\.example:3128\/$/m);
  assert.match(show.stdout, /^proxy_username = alice$/m);

  const defaults = await runCliProcess(['config', 'defaults'], { cwd: dir });
  assert.equal(defaults.code, 0);
  assert.match(defaults.stdout, /^http_port = 8530$/m);
  await writeFile(join(dir, 'defaults.ini'), defaults.stdout);
  const check = await runCliProcess(['config', 'check', '-c', 'defaults.ini'], { cwd: dir });
  assert.equal(check.code, 0, check.stderr);

  const serve = await runCliProcess(['serve'], { cwd: dir, env: { PATCHBAY_LOG_LEVEL: 'loud' } });
  assert.equal(serve.code, 78);
  assert.match(serve.stderr, /^patchbay: PB_ERR_CONFIG_INVALID: configuration is invalid/m);
  assert.match(
    serve.stderr,
    /log\.level: expected one of fatal, error, warn, info, debug, trace, silent, got "loud"/,
  );
});

void test('usage errors exit 64; --version and --help exit 0', async (t) => {
  const dir = await tempDir(t);
  const bogus = await runCliProcess(['frobnicate'], { cwd: dir });
  assert.equal(bogus.code, 64);
  assert.match(bogus.stderr, /unknown command 'frobnicate'/);
  const version = await runCliProcess(['--version'], { cwd: dir });
  assert.equal(version.code, 0);
  assert.match(version.stdout, /^\d+\.\d+\.\d+/);
  const help = await runCliProcess(['config', '--help'], { cwd: dir });
  assert.equal(help.code, 0);
  assert.match(help.stdout, /check/);
});
