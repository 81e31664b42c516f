import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  formatProblem,
  loadConfig,
  loadConfigOrThrow,
  maxConfigFileBytes,
  matchesNoProxy,
  renderDefaultsIni,
  type LoadConfigResult,
} from '../../../src/config/index.js';
import { AppError } from '../../../src/errors.js';

async function tempDir(t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'pb-config-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function iniFile(dir: string, text: string, name = 'patchbay.ini'): Promise<string> {
  const p = join(dir, name);
  await writeFile(p, text);
  return p;
}

function problems(r: LoadConfigResult): string[] {
  assert.equal(r.ok, false, 'expected problems');
  return r.ok ? [] : r.problems.map(formatProblem);
}

function ok(r: LoadConfigResult) {
  if (!r.ok) assert.fail(`unexpected problems:\n${r.problems.map(formatProblem).join('\n')}`);
  return r.config;
}

void test('relative paths written in the file resolve against its folder; from the environment, against cwd', async (t) => {
  const cwd = await tempDir(t);
  const etc = join(await tempDir(t), 'etc');
  await mkdir(etc, { recursive: true });
  await writeFile(join(etc, 'cert.pem'), 'not parsed by the loader\n');
  await writeFile(join(etc, 'key.pem'), 'not parsed by the loader\n');
  const file = join(etc, 'patchbay.ini');
  await writeFile(
    file,
    '[server]\ndata_dir = ../var\ntls_cert_file = cert.pem\ntls_key_file = key.pem\n[content]\ndir = store\n',
  );
  const c = ok(await loadConfig({ file, env: {}, cwd }));
  assert.equal(c.server.dataDir, join(etc, '..', 'var'));
  assert.equal(c.database.path, join(etc, '..', 'var', 'patchbay.db'));
  assert.equal(c.content.dir, join(etc, 'store'));
  assert.equal(c.server.tlsCertFile, join(etc, 'cert.pem'));
  // The same key from the environment keeps the working directory as its base.
  const e = ok(await loadConfig({ file, env: { PATCHBAY_CONTENT_DIR: 'store' }, cwd }));
  assert.equal(e.content.dir, join(cwd, 'store'));
  assert.equal(e.server.dataDir, join(etc, '..', 'var'));
});

void test('embedded defaults: ports, data dir and derived paths resolve against cwd', async (t) => {
  const cwd = await tempDir(t);
  const c = ok(await loadConfig({ env: {}, cwd }));
  assert.equal(c.server.httpPort, 8530);
  assert.equal(c.server.httpsPort, 8531);
  assert.equal(c.server.dataDir, join(cwd, 'data'));
  assert.equal(c.database.driver, 'sqlite');
  assert.equal(c.database.path, join(cwd, 'data', 'patchbay.db'));
  assert.equal(c.content.dir, join(cwd, 'data', 'content'));
  assert.equal(c.content.mode, 'approved');
  assert.equal(
    c.upstream.url,
    'https://sws.update.microsoft.com/ServerSyncWebService/ServerSyncWebService.asmx',
  );
  assert.deepEqual(c.selection.classifications, [
    'Critical Updates',
    'Security Updates',
    'Definition Updates',
  ]);
  assert.deepEqual(c.selection.products, ['Windows']);
  assert.deepEqual(c.sync.firstSyncTime, { hour: 3, minute: 0 });
  assert.equal(c.server.keepAliveTimeoutSeconds >= 35, true);
  assert.notEqual(c.admin.port, 8530);
  assert.notEqual(c.admin.port, 8531);
});

void test('precedence: defaults < INI file < environment', async (t) => {
  const dir = await tempDir(t);
  const file = await iniFile(
    dir,
    '[server]\nhttp_port = 9000\nhttps_port = 9001\n[log]\nlevel = debug\n[selection]\nlanguages = de, fr\n',
  );
  const c = ok(
    await loadConfig({
      file,
      cwd: dir,
      env: { PATCHBAY_SERVER_HTTP_PORT: '9100', PATCHBAY_ADMIN_PORT: '9200' },
    }),
  );
  assert.equal(c.server.httpPort, 9100, 'env wins over file');
  assert.equal(c.server.httpsPort, 9001, 'file wins over default');
  assert.equal(c.admin.port, 9200, 'env wins over default');
  assert.equal(c.log.level, 'debug');
  assert.deepEqual(c.selection.languages, ['de', 'fr']);
  assert.equal(c.sync.syncsPerDay, 1, 'untouched key keeps its default');
});

void test('lists: comma-separated, repeated key[] lines (names with commas), JSON array in env', async (t) => {
  const dir = await tempDir(t);
  const file = await iniFile(
    dir,
    '[selection]\nproducts[] = Windows 10, version 1903 and later\nproducts[] = Windows 11\n',
  );
  const c = ok(
    await loadConfig({
      file,
      cwd: dir,
      env: { PATCHBAY_SELECTION_CLASSIFICATIONS: '["Updates, misc","Drivers"]' },
    }),
  );
  assert.deepEqual(c.selection.products, ['Windows 10, version 1903 and later', 'Windows 11']);
  assert.deepEqual(c.selection.classifications, ['Updates, misc', 'Drivers']);
});

void test('bad values are reported with their INI path, the value and where it came from', async (t) => {
  const dir = await tempDir(t);
  const file = await iniFile(
    dir,
    '[server]\nhttp_port = abc\n[content]\nmode = some\n[sync]\nfirst_sync_time = 25:00\n',
  );
  const p = problems(await loadConfig({ file, cwd: dir, env: { PATCHBAY_UPSTREAM_TLS_VERIFY: 'maybe' } }));
  assert.ok(
    p.includes('server.http_port: expected an integer 0..65535, got "abc" (patchbay.ini line 2)'),
    p.join('\n'),
  );
  assert.ok(
    p.includes('content.mode: expected one of approved, all, none, got "some" (patchbay.ini line 4)'),
    p.join('\n'),
  );
  assert.ok(
    p.some((x) => x.startsWith('sync.first_sync_time: expected a time of day HH:MM')),
    p.join('\n'),
  );
  assert.ok(
    p.includes('upstream.tls_verify: expected true or false, got "maybe" (PATCHBAY_UPSTREAM_TLS_VERIFY)'),
    p.join('\n'),
  );
  assert.equal(p.length, 4);
});

void test('unknown keys, sections and PATCHBAY_ variables are problems, with a suggestion', async (t) => {
  const dir = await tempDir(t);
  const file = await iniFile(
    dir,
    'stray = 1\n[server]\nhttp_prot = 1\n[srever]\nx = 1\n[server.tls]\ny = 2\n',
  );
  const p = problems(
    await loadConfig({
      file,
      cwd: dir,
      env: { PATCHBAY_LOG_LEVLE: 'info', PATCHBAY_TEST_CONCURRENCY: '2' /* not a section: another tool's */ },
    }),
  );
  assert.ok(
    p.includes('server.http_prot: unknown key (did you mean http_port?) (patchbay.ini line 3)'),
    p.join('\n'),
  );
  assert.ok(
    p.some((x) => x.startsWith('srever: unknown section')),
    p.join('\n'),
  );
  assert.ok(
    p.some((x) => x.startsWith('server.tls: unknown section')),
    p.join('\n'),
  );
  assert.ok(
    p.some((x) => x.startsWith('stray: setting outside a section')),
    p.join('\n'),
  );
  assert.ok(
    p.includes('log.levle: unknown setting (did you mean level?) (PATCHBAY_LOG_LEVLE)'),
    p.join('\n'),
  );
  assert.equal(p.length, 5, p.join('\n'));
});

void test('a malformed section header is reported with its line, not as an unknown key of the section above', async (t) => {
  const dir = await tempDir(t);
  const file = await iniFile(
    dir,
    '[server]\nhttp_port = 9000\n\n[upstream\nurl = https://example.invalid/\n',
  );
  assert.deepEqual(problems(await loadConfig({ file, cwd: dir, env: {} })), [
    '(file): malformed section header "[upstream": expected [name] alone at the start of the line (patchbay.ini line 4)',
  ]);
  const trailing = await iniFile(dir, '[log] level = debug\n', 'trailing.ini');
  assert.match(
    problems(await loadConfig({ file: trailing, cwd: dir, env: {} })).join('\n'),
    /^\(file\): malformed section header "\[log\] level = debug".*\(trailing\.ini line 1\)$/,
  );
});

void test('port 0 (any free port) is accepted for every listener and is never a clash', async (t) => {
  const dir = await tempDir(t);
  await writeFile(join(dir, 'cert.pem'), 'x');
  await writeFile(join(dir, 'key.pem'), 'x');
  const file = await iniFile(
    dir,
    '[server]\nhttp_port = 0\nhttps_port = 0\ntls_cert_file = cert.pem\ntls_key_file = key.pem\n[admin]\nport = 0\n',
  );
  const c = ok(await loadConfig({ file, cwd: dir, env: {} }));
  assert.deepEqual([c.server.httpPort, c.server.httpsPort, c.admin.port], [0, 0, 0]);
});

void test('__proto__, constructor and prototype names are rejected, and nothing is polluted', async (t) => {
  const dir = await tempDir(t);
  const file = await iniFile(dir, '[__proto__]\npolluted = yes\n[server]\n__proto__ = x\nconstructor = y\n');
  const p = problems(await loadConfig({ file, cwd: dir, env: {} }));
  assert.ok(p.includes('__proto__: section name is not allowed (patchbay.ini line 1)'), p.join('\n'));
  assert.ok(p.includes('server.__proto__: key name is not allowed (patchbay.ini line 4)'), p.join('\n'));
  assert.ok(p.includes('server.constructor: key name is not allowed (patchbay.ini line 5)'), p.join('\n'));
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});

void test('a key set twice is a problem (the last would win silently otherwise)', async (t) => {
  const dir = await tempDir(t);
  const file = await iniFile(dir, '[log]\nlevel = info\nlevel = debug\n');
  assert.deepEqual(problems(await loadConfig({ file, cwd: dir, env: {} })), [
    'log.level: set more than once (lines 2 and 3) (patchbay.ini line 3)',
  ]);
});

void test('oversized, binary and missing files are refused with a clear message', async (t) => {
  const dir = await tempDir(t);
  const big = await iniFile(dir, `[server]\n; ${'x'.repeat(maxConfigFileBytes)}\n`, 'big.ini');
  assert.match(
    problems(await loadConfig({ file: big, cwd: dir, env: {} }))[0] ?? '',
    /bytes; the limit is 1048576 bytes/,
  );
  const bin = join(dir, 'bin.ini');
  await writeFile(bin, Buffer.from([0x5b, 0xff, 0xfe, 0x5d]));
  assert.match(problems(await loadConfig({ file: bin, cwd: dir, env: {} }))[0] ?? '', /not valid UTF-8/);
  assert.match(
    problems(await loadConfig({ file: join(dir, 'nope.ini'), cwd: dir, env: {} }))[0] ?? '',
    /^\(file\): cannot open the configuration file: no such file/,
  );
});

void test('the result is deep-frozen', async (t) => {
  const c = ok(await loadConfig({ env: {}, cwd: await tempDir(t) }));
  assert.ok(Object.isFrozen(c) && Object.isFrozen(c.server) && Object.isFrozen(c.selection.languages));
  assert.throws(() => {
    (c.server as { httpPort: number }).httpPort = 1;
  }, TypeError);
  assert.throws(() => (c.selection.languages as string[]).push('x'), TypeError);
});

void test('secrets: never from the file; from the environment or a password file', async (t) => {
  const dir = await tempDir(t);
  const inFile = await iniFile(
    dir,
    '[database]\ndriver = postgres\nurl = postgres://pb@db/pb\npassword = hunter2\n',
    'a.ini',
  );
  assert.deepEqual(problems(await loadConfig({ file: inFile, cwd: dir, env: {} })), [
    'database.password: secrets are not accepted in the configuration file; set PATCHBAY_DATABASE_PASSWORD or password_file (a.ini line 4)',
  ]);
  const inUrl = await iniFile(
    dir,
    '[database]\ndriver = postgres\nurl = postgres://pb:hunter2@db/pb\n',
    'b.ini',
  );
  assert.match(
    problems(await loadConfig({ file: inUrl, cwd: dir, env: {} }))[0] ?? '',
    /^database.url: must not contain the password/,
  );

  await writeFile(join(dir, 'pw'), 's3cret\n');
  const viaFile = await iniFile(
    dir,
    '[database]\ndriver = postgres\nurl = postgres://pb@db/pb\npassword_file = pw\n',
    'c.ini',
  );
  assert.equal(ok(await loadConfig({ file: viaFile, cwd: dir, env: {} })).database.password, 's3cret');

  const viaEnv = ok(
    await loadConfig({
      cwd: dir,
      env: {
        PATCHBAY_DATABASE_DRIVER: 'postgres',
        PATCHBAY_DATABASE_URL: 'postgres://pb:from%40env@db:5432/pb',
      },
    }),
  );
  assert.equal(viaEnv.database.password, 'from@env', 'a password in an env URL moves to the password field');
  assert.equal(viaEnv.database.url, 'postgres://pb@db:5432/pb');
});

void test('cross-key checks: TLS needs both files, admin port differs from client ports, postgres needs a url', async (t) => {
  const dir = await tempDir(t);
  await writeFile(join(dir, 'cert.pem'), 'x');
  const file = await iniFile(
    dir,
    '[server]\ntls_cert_file = cert.pem\n[admin]\nport = 8530\n[database]\ndriver = postgres\n',
  );
  const p = problems(await loadConfig({ file, cwd: dir, env: {} }));
  assert.ok(p.includes('server.tls_key_file: HTTPS needs both tls_cert_file and tls_key_file'), p.join('\n'));
  assert.ok(
    p.includes('admin.port: must differ from the client ports (8530) (patchbay.ini line 4)'),
    p.join('\n'),
  );
  assert.ok(p.includes('database.url: required when driver = postgres'), p.join('\n'));
  const missing = await iniFile(
    dir,
    '[server]\ntls_cert_file = nope.pem\ntls_key_file = cert.pem\n',
    'm.ini',
  );
  assert.match(
    problems(await loadConfig({ file: missing, cwd: dir, env: {} })).join('\n'),
    /server.tls_cert_file: cannot read .*nope.pem: no such file/,
  );
});

void test('upstream proxy: HTTPS_PROXY used when not configured, credentials split out, NO_PROXY honoured', async (t) => {
  const cwd = await tempDir(t);
  const c = ok(await loadConfig({ cwd, env: { HTTPS_PROXY: 'http://alice:pa%3Ass@proxy.example:3128' } }));
  assert.equal(c.upstream.proxyUrl, 'http://proxy.example:3128/');
  assert.equal(c.upstream.proxyUsername, 'alice');
  assert.equal(c.upstream.proxyPassword, 'pa:ss');
  const skipped = ok(
    await loadConfig({
      cwd,
      env: { HTTPS_PROXY: 'http://proxy:3128', NO_PROXY: 'localhost,.microsoft.com' },
    }),
  );
  assert.equal(skipped.upstream.proxyUrl, '');
  const configured = ok(
    await loadConfig({
      cwd,
      env: { HTTPS_PROXY: 'http://other:1', PATCHBAY_UPSTREAM_PROXY_URL: 'http://mine:8080' },
    }),
  );
  assert.equal(configured.upstream.proxyUrl, 'http://mine:8080');
  assert.match(
    problems(await loadConfig({ cwd, env: { HTTPS_PROXY: 'socks5://x' } }))[0] ?? '',
    /^upstream.proxy_url: .*\(HTTPS_PROXY\)$/,
  );
  assert.equal(matchesNoProxy('sws.update.microsoft.com', '*'), true);
  assert.equal(matchesNoProxy('sws.update.microsoft.com', 'update.microsoft.com'), true);
  assert.equal(matchesNoProxy('notmicrosoft.com', 'microsoft.com'), false);
});

void test('loadConfigOrThrow raises PB_ERR_CONFIG_INVALID (exit 78) listing every problem', async (t) => {
  const cwd = await tempDir(t);
  await assert.rejects(
    loadConfigOrThrow({ cwd, env: { PATCHBAY_SERVER_HTTP_PORT: '65536', PATCHBAY_LOG_FORMAT: 'xml' } }),
    (e: unknown) =>
      e instanceof AppError &&
      e.code === 'PB_ERR_CONFIG_INVALID' &&
      e.exitCode === 78 &&
      /server\.http_port: expected an integer 0\.\.65535, got "65536"/.test(e.message) &&
      /log\.format: expected one of auto, json, pretty/.test(e.message),
  );
});

void test('the generated defaults file is itself a valid configuration equal to the embedded defaults', async (t) => {
  const dir = await tempDir(t);
  const file = await iniFile(dir, renderDefaultsIni());
  const fromFile = ok(await loadConfig({ file, cwd: dir, env: {} }));
  const embedded = ok(await loadConfig({ cwd: dir, env: {} }));
  assert.deepEqual(fromFile, embedded);
});
