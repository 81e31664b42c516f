import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnCli } from '../../helpers/cli.js';
import { createTestPki } from '../../helpers/tls.js';

type LogRecord = Record<string, unknown> & { msg?: string; level?: string };

/** Status of an HTTPS GET trusting only `ca`, or the TLS error text. */
function httpsStatus(url: string, ca: string): Promise<number | string> {
  return new Promise((resolve) => {
    const req = httpsRequest(url, { ca, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
    req.end();
  });
}

function ini(level: string): string {
  return [
    '[server]',
    'bind = 127.0.0.1',
    'http_port = 0',
    'https_port = 0',
    'tls_cert_file = cert.pem',
    'tls_key_file = key.pem',
    '[admin]',
    'port = 0',
    '[log]',
    'format = json',
    `level = ${level}`,
    '',
  ].join('\n');
}

void test('serve on port 0 logs the ports bound; SIGHUP reloads the certificate and log level, a bad pair keeps the old one', async (t) => {
  const cwd = await mkdtemp(join(tmpdir(), 'pb-serve-hup-'));
  t.after(() => rm(cwd, { recursive: true, force: true }));
  const [first, second] = [createTestPki(), createTestPki()];
  t.after(() => {
    first.cleanup();
    second.cleanup();
  });
  await writeFile(join(cwd, 'cert.pem'), first.certPem);
  await writeFile(join(cwd, 'key.pem'), first.keyPem);
  await writeFile(join(cwd, 'patchbay.ini'), ini('info'));

  const child = spawnCli(['serve'], { cwd, env: {} });
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let stdout = '';
  let stderr = '';
  const records: LogRecord[] = [];
  const waiters: { match: (r: LogRecord) => boolean; resolve: (r: LogRecord) => void }[] = [];
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout?.on('data', (d: Buffer) => {
    stdout += d.toString();
    const lines = stdout.split('\n');
    stdout = lines.pop() ?? '';
    for (const line of lines) {
      const r = JSON.parse(line) as LogRecord;
      records.push(r);
      for (const w of waiters.splice(0))
        if (w.match(r)) w.resolve(r);
        else waiters.push(w);
    }
  });
  const next = (match: (r: LogRecord) => boolean, what: string) =>
    new Promise<LogRecord>((resolve, reject) => {
      const seen = records.find(match);
      if (seen) return resolve(seen);
      const timer = setTimeout(
        () => reject(new Error(`no log line: ${what}\n${JSON.stringify(records)}\n${stderr}`)),
        30_000,
      );
      waiters.push({ match, resolve: (r) => (clearTimeout(timer), resolve(r)) });
    });

  const ports: Record<string, number> = {};
  for (const name of ['http', 'https', 'admin']) {
    const r = await next((x) => x.msg === `${name} server listening`, `${name} listening`);
    ports[name] = Number(r.port);
    assert.ok(ports[name] > 0, JSON.stringify(r));
    assert.equal(r.address, `${name === 'https' ? 'https' : 'http'}://127.0.0.1:${ports[name]}`);
  }
  assert.equal(new Set(Object.values(ports)).size, 3, 'three distinct free ports');
  const https = `https://127.0.0.1:${ports.https}/healthz`;
  assert.equal(await httpsStatus(https, first.caPem), 200);
  assert.equal((await fetch(`http://127.0.0.1:${ports.admin}/healthz`)).status, 200);

  // A renewed certificate and a new log level, then SIGHUP.
  await writeFile(join(cwd, 'cert.pem'), second.certPem);
  await writeFile(join(cwd, 'key.pem'), second.keyPem);
  await writeFile(join(cwd, 'patchbay.ini'), ini('debug'));
  child.kill('SIGHUP');
  const level = await next((r) => r.msg === 'reload: log level set', 'level reloaded');
  assert.deepEqual([level.previousLevel, level.level], ['info', 'debug']);
  await next((r) => r.msg === `reload: certificate reloaded from ${join(cwd, 'cert.pem')}`, 'cert reloaded');
  assert.equal(await httpsStatus(https, second.caPem), 200);
  assert.notEqual(await httpsStatus(https, first.caPem), 200, 'the old certificate is no longer presented');
  await fetch(`http://127.0.0.1:${ports.http}/nope`);
  await next((r) => r.level === 'debug' && r.msg === 'request completed', 'debug line after the reload');

  // A key that does not match the certificate: refused, logged, and the working pair stays.
  await writeFile(join(cwd, 'key.pem'), first.keyPem);
  child.kill('SIGHUP');
  const refused = await next((r) => r.msg === 'reload: TLS certificate not reloaded', 'bad pair refused');
  assert.equal(refused.level, 'error');
  assert.match(JSON.stringify(refused.err), /keeping the current certificate/);
  assert.equal(await httpsStatus(https, second.caPem), 200);

  // An invalid configuration: nothing changes.
  await writeFile(join(cwd, 'patchbay.ini'), '[log\nlevel = trace\n');
  child.kill('SIGHUP');
  const invalid = await next((r) => String(r.msg).startsWith('reload refused'), 'invalid config refused');
  assert.match(JSON.stringify(invalid.problems), /malformed section header/);
  assert.equal(await httpsStatus(https, second.caPem), 200);

  child.kill('SIGTERM');
  const [code] = (await once(child, 'exit')) as [number | null];
  assert.equal(code, 0, stderr);
  assert.equal(stderr, '');
});
