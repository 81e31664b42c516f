import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { existsSync, statSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, spawnCli } from '../../helpers/cli.js';
import { createTestPki } from '../../helpers/tls.js';

interface LogRecord {
  msg?: string;
  server?: string;
  address?: string;
  level?: string;
}

function httpsGet(url: string, ca: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, { ca, agent: false }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

void test('patchbay serve on embedded defaults: data dir, migrated SQLite, health on every port, clean SIGTERM exit', async (t) => {
  const cwd = await mkdtemp(join(tmpdir(), 'pb-serve-'));
  t.after(() => rm(cwd, { recursive: true, force: true }));
  const pki = createTestPki();
  t.after(() => pki.cleanup());
  await writeFile(join(cwd, 'cert.pem'), pki.certPem);
  await writeFile(join(cwd, 'key.pem'), pki.keyPem);
  const [httpPort, httpsPort, adminPort] = [await freePort(), await freePort(), await freePort()];

  const child = spawnCli(['serve'], {
    cwd,
    env: {
      PATCHBAY_SERVER_BIND: '127.0.0.1',
      PATCHBAY_SERVER_HTTP_PORT: String(httpPort),
      PATCHBAY_SERVER_HTTPS_PORT: String(httpsPort),
      PATCHBAY_SERVER_TLS_CERT_FILE: 'cert.pem',
      PATCHBAY_SERVER_TLS_KEY_FILE: 'key.pem',
      PATCHBAY_ADMIN_PORT: String(adminPort),
      PATCHBAY_LOG_FORMAT: 'json',
    },
  });
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let stdout = '';
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const records: LogRecord[] = [];
  const listening = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start\n${stdout}\n${stderr}`)), 30_000);
    child.stdout?.on('data', (d: Buffer) => {
      stdout += d.toString();
      const lines = stdout.split('\n');
      records.length = 0;
      for (const line of lines.slice(0, -1)) records.push(JSON.parse(line) as LogRecord);
      if (records.filter((r) => r.msg?.endsWith('server listening')).length === 3) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => reject(new Error(`serve exited early with ${code}\n${stdout}\n${stderr}`)));
  });
  await listening;

  // It logs where it listens, as JSON lines.
  const addresses: Record<string, string | undefined> = {};
  for (const r of records) if (r.server !== undefined) addresses[r.server] = r.address;
  assert.deepEqual(addresses, {
    http: `http://127.0.0.1:${httpPort}`,
    https: `https://127.0.0.1:${httpsPort}`,
    admin: `http://127.0.0.1:${adminPort}`,
  });

  for (const base of [`http://127.0.0.1:${httpPort}`, `http://127.0.0.1:${adminPort}`]) {
    const live = await fetch(`${base}/healthz`);
    assert.equal(live.status, 200);
    assert.deepEqual(await live.json(), { status: 'ok' });
    const ready = await fetch(`${base}/readyz`);
    assert.equal(ready.status, 200);
    assert.deepEqual(await ready.json(), { status: 'ok', checks: { database: 'ok', content: 'ok' } });
  }
  const tlsReady = await httpsGet(`https://127.0.0.1:${httpsPort}/readyz`, pki.caPem);
  assert.equal(tlsReady.status, 200);
  assert.deepEqual(JSON.parse(tlsReady.body), { status: 'ok', checks: { database: 'ok', content: 'ok' } });
  const unknown = await fetch(`http://127.0.0.1:${httpPort}/nope`);
  assert.equal(unknown.status, 404);

  child.kill('SIGTERM');
  const [code, signal] = (await once(child, 'exit')) as [number | null, string | null];
  assert.equal(signal, null, stderr);
  assert.equal(code, 0, `${stdout}\n${stderr}`);
  assert.equal(stderr, '');
  assert.ok(stdout.includes('"msg":"stopped"'), stdout);

  assert.ok(statSync(join(cwd, 'data', 'patchbay.db')).size > 0, 'the SQLite database was created');
  assert.ok(statSync(join(cwd, 'data', 'content')).isDirectory(), 'the content directory was created');
  assert.ok(existsSync(join(cwd, 'data')));
  // The ports are free again: a new server can bind them.
  for (const port of [httpPort, httpsPort, adminPort]) {
    const res = await fetch(`http://127.0.0.1:${port}/healthz`).catch((e: Error) => e);
    assert.ok(res instanceof Error, `port ${port} still answers after shutdown`);
  }
});

void test('serve refuses a port in use with PB_ERR_LISTEN and exit 69, leaving nothing running', async (t) => {
  const cwd = await mkdtemp(join(tmpdir(), 'pb-serve-'));
  t.after(() => rm(cwd, { recursive: true, force: true }));
  const { createServer } = await import('node:net');
  const blocker = createServer();
  blocker.listen(0, '127.0.0.1');
  await once(blocker, 'listening');
  t.after(() => blocker.close());
  const address = blocker.address();
  const busyPort = address !== null && typeof address === 'object' ? address.port : 0;
  const child = spawnCli(['serve'], {
    cwd,
    env: {
      PATCHBAY_SERVER_BIND: '127.0.0.1',
      PATCHBAY_SERVER_HTTP_PORT: String(await freePort()),
      PATCHBAY_ADMIN_PORT: String(busyPort),
      PATCHBAY_LOG_FORMAT: 'json',
      PATCHBAY_LOG_LEVEL: 'warn',
    },
  });
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  assert.equal(code, 69, stderr);
  assert.match(
    stderr,
    new RegExp(
      `^patchbay: PB_ERR_LISTEN: cannot listen on 127\\.0\\.0\\.1:${busyPort} \\(admin\\): the port is in use$`,
      'm',
    ),
  );
});
