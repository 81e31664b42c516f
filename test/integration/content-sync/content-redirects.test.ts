/**
 * Issue 10 item 6: content downloads go only to the upstream's own host and `[upstream] content_hosts`, never
 * into loopback, link-local or private ranges unless the upstream itself is there (a name counts as the
 * addresses it resolves to, when the URL is checked and again when the socket opens), with a bounded
 * redirect count.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo, LookupFunction } from 'node:net';
import type { TestContext } from 'node:test';
import { describeFile } from './fake-content-upstream.js';
import { insertFiles, openDownstream, readStored, stateOf } from './content-fixtures.js';
import { loadConfigOrThrow } from '../../../src/config/index.js';
import { transportOptionsFromConfig } from '../../../src/sync/index.js';
import { UpstreamTransport, contentUrlGuard, downloadContent } from './imports.js';
import { payload } from '../../helpers/seed-catalog.js';

/** A guard whose DNS is a table, so a name's addresses are the test's choice. */
const dns =
  (table: Record<string, string[]>) =>
  (host: string): Promise<string[]> => {
    const a = table[host];
    return a === undefined ? Promise.reject(new Error(`ENOTFOUND ${host}`)) : Promise.resolve(a);
  };

async function refusal(check: Promise<void>): Promise<string> {
  const e = await check.then(
    () => undefined,
    (x: unknown) => x,
  );
  assert.ok(e instanceof Error, 'refused');
  assert.equal((e as { code?: string }).code, 'PB_ERR_CONTENT_URL_REFUSED');
  return e.message;
}

void test('the URL guard: own host and allowlist only, resolved addresses checked, *. matches subdomains', async () => {
  const resolve = dns({
    'sws.update.microsoft.com': ['20.72.235.82'],
    'download.windowsupdate.com': ['93.184.220.29'],
    'au.download.windowsupdate.com': ['93.184.220.30'],
    'evil.download.windowsupdate.com': ['127.0.0.1'],
    'metadata.cdn.example': ['169.254.169.254'],
    'intranet.cdn.example': ['10.1.2.3'],
    'mapped.cdn.example': ['::ffff:127.0.0.1'],
    'wsus.corp.example': ['10.0.0.5'],
    'mirror.corp.example': ['10.0.0.9'],
  });
  const mu = contentUrlGuard(
    'https://sws.update.microsoft.com/ServerSyncWebService/ServerSyncWebService.asmx',
    ['download.windowsupdate.com', '*.download.windowsupdate.com', '*.cdn.example'],
    resolve,
  );
  await mu(new URL('http://download.windowsupdate.com/c/msdownload/x.cab'));
  await mu(new URL('http://au.download.windowsupdate.com/x.cab'));
  await mu(new URL('https://sws.update.microsoft.com:8443/x.cab')); // the upstream's own host
  assert.match(await refusal(mu(new URL('http://windowsupdate.com.evil.example/x'))), /neither the upstream/);
  assert.match(await refusal(mu(new URL('http://evildownload.windowsupdate.com/x'))), /neither the upstream/);
  assert.match(await refusal(mu(new URL('http://127.0.0.1:8530/x'))), /neither the upstream/);
  assert.match(await refusal(mu(new URL('http://[::1]/x'))), /neither the upstream/);
  assert.match(await refusal(mu(new URL('ftp://download.windowsupdate.com/x'))), /scheme ftp:/);
  // Allowed names that resolve where a public upstream must not send us.
  assert.match(
    await refusal(mu(new URL('http://evil.download.windowsupdate.com/x'))),
    /resolves to loopback address 127\.0\.0\.1/,
  );
  assert.match(await refusal(mu(new URL('http://metadata.cdn.example/latest'))), /link-local/);
  assert.match(await refusal(mu(new URL('http://intranet.cdn.example/x'))), /private address 10\.1\.2\.3/);
  assert.match(await refusal(mu(new URL('http://mapped.cdn.example/x'))), /loopback/);

  // An upstream on the private network may point into it, not into loopback.
  const corp = contentUrlGuard(
    'http://wsus.corp.example:8530/x',
    ['*.corp.example', '*.cdn.example'],
    resolve,
  );
  await corp(new URL('http://mirror.corp.example/Content/AB/x.cab'));
  await corp(new URL('http://intranet.cdn.example/x'));
  assert.match(await refusal(corp(new URL('http://mapped.cdn.example/x'))), /loopback/);
  assert.match(await refusal(corp(new URL('http://metadata.cdn.example/x'))), /link-local/);
});

/** A server that must never be reached, counting what reaches it anyway. */
async function victim(t: TestContext, body: Buffer): Promise<{ port: number; hits: () => number }> {
  let hits = 0;
  const s = createServer((_req, res) => {
    hits++;
    res.writeHead(200, { 'content-length': String(body.length) }).end(body);
  });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => s.close(() => r())));
  return { port: (s.address() as AddressInfo).port, hits: () => hits };
}

void test('redirects from a loopback upstream: other hosts refused and never contacted, own host and allowlist followed', async (t) => {
  const down = await openDownstream(t);
  const ok = describeFile(payload(4000), 'ok.cab');
  const toLocalhost = describeFile(payload(4001), 'localhost.cab');
  const toV6 = describeFile(payload(4002), 'v6.cab');
  const toMetadata = describeFile(payload(4003), 'metadata.cab');
  const target = await victim(t, ok.bytes);
  const secret = await victim(t, toLocalhost.bytes);
  const redirects = new Map<string, string>([
    [ok.hex, `http://127.0.0.1:${target.port}/Content/ok.cab`], // the upstream's own host, another port
    [toLocalhost.hex, `http://localhost:${secret.port}/admin`],
    [toV6.hex, `http://[::1]:${secret.port}/admin`],
    [toMetadata.hex, 'http://169.254.169.254/latest/meta-data/'],
  ]);
  const upstream = createServer((req, res) => {
    const hex = /([0-9A-F]{40})\.cab$/i.exec(req.url ?? '')?.[1]?.toUpperCase() ?? '';
    res.writeHead(302, { location: redirects.get(hex) ?? '/nowhere' }).end();
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => upstream.close(() => r())));
  const upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/ServerSyncWebService/x.asmx`;
  await insertFiles(down.db, [ok, toLocalhost, toV6, toMetadata]);

  const r1 = await downloadContent(
    { db: down.db, store: down.store, transport: down.transport },
    { upstreamUrl, mode: 'all', attemptsPerRun: 1 },
  );
  assert.equal(r1.filesDownloaded, 1);
  assert.deepEqual(await readStored(down.store, ok), ok.bytes);
  assert.equal(target.hits(), 1);
  for (const f of [toLocalhost, toV6, toMetadata]) {
    const row = await stateOf(down.db, f);
    assert.equal(row.content_state, 'failed', f.name);
    assert.match(
      row.last_error ?? '',
      /^PB_ERR_CONTENT_URL_REFUSED: .*neither the upstream nor in \[upstream\] content_hosts/,
    );
  }
  assert.equal(secret.hits(), 0, 'the refused targets were never contacted');

  // Allowlisted, and the upstream itself is on loopback: localhost may be followed.
  await down.db.db
    .updateTable('files')
    .set({ content_state: 'queued' })
    .where('sha1', '=', toLocalhost.sha1)
    .execute();
  const r2 = await downloadContent(
    { db: down.db, store: down.store, transport: down.transport },
    { upstreamUrl, mode: 'all', attemptsPerRun: 1, contentHosts: ['localhost'] },
  );
  assert.equal(r2.filesDownloaded, 1, JSON.stringify(r2.failures));
  assert.equal(secret.hits(), 1);
  assert.deepEqual(await readStored(down.store, toLocalhost), toLocalhost.bytes);
});

void test('DNS rebinding: a name that resolves to loopback when the socket opens is refused there and never reached', async (t) => {
  const file = describeFile(payload(4100), 'rebind.cab');
  const secret = await victim(t, file.bytes);
  // A public upstream (an address literal, so no DNS) whose configured transport guards every connect.
  const config = await loadConfigOrThrow({
    env: { PATCHBAY_UPSTREAM_URL: 'http://203.0.113.10:8530/ServerSyncWebService/ServerSyncWebService.asmx' },
  });
  // The name's answer when the socket opens: loopback, where the victim listens (the URL check before it
  // may have seen a public address; the rebinding is the change in between).
  const rebound: LookupFunction = (_host, options, cb) =>
    options.all === true ? cb(null, [{ address: '127.0.0.1', family: 4 }], 4) : cb(null, '127.0.0.1', 4);
  const url = `http://files.cdn.example:${secret.port}/c/msdownload/rebind.cab`;

  const guarded = new UpstreamTransport({ ...transportOptionsFromConfig(config), lookup: rebound });
  t.after(() => guarded.close());
  const e = await guarded.download({ url }).then(
    () => undefined,
    (x: unknown) => x,
  );
  assert.equal((e as { code?: string } | undefined)?.code, 'PB_ERR_CONTENT_URL_REFUSED', String(e));
  assert.match(
    (e as Error).message,
    /files\.cdn\.example resolves to loopback address 127\.0\.0\.1 when connecting/,
  );
  assert.equal(secret.hits(), 0, 'the victim was never contacted');

  // The same lookup without the connect check does reach it: the check is what refused.
  const { connectCheck: _dropped, ...unguarded } = transportOptionsFromConfig(config);
  const open = new UpstreamTransport({ ...unguarded, lookup: rebound });
  t.after(() => open.close());
  const r = await open.download({ url });
  r.body.destroy();
  assert.equal(secret.hits(), 1);
});
