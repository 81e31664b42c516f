import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { loadConfigOrThrow } from '../../../src/config/index.js';
import { buildAdminServer, buildClientServer } from '../../../src/http/index.js';
import { createLogger } from '../../../src/observability/index.js';

/** A real logger at `level` writing JSON lines into memory. */
function memoryLogger(level: 'info' | 'debug') {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(
        ...chunk
          .toString('utf8')
          .split('\n')
          .filter((l) => l !== ''),
      );
      cb();
    },
  });
  const logger = createLogger({ level, format: 'json', destination, isTty: false });
  return { logger, records: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

async function serveAndGet(
  accessLog: boolean,
  level: 'info' | 'debug',
  t: { after: (fn: () => unknown) => void },
) {
  const config = await loadConfigOrThrow({ env: { PATCHBAY_LOG_ACCESS_LOG: accessLog ? 'on' : 'off' } });
  const { logger, records } = memoryLogger(level);
  const client = await buildClientServer({ config, logger, readiness: [] });
  const admin = await buildAdminServer({ config, logger, readiness: [] });
  t.after(() => Promise.all([client.close(), admin.close()]));
  for (const app of [client, admin]) {
    app.get('/echo', () => 'hello');
    const base = await app.listen({ port: 0, host: '127.0.0.1' });
    // Health probes stay quiet (their routes log at warn only).
    await (await fetch(`${base}/healthz`)).arrayBuffer();
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${base}/echo`, { headers: { 'user-agent': 'Windows-Update-Agent/10.0 "x"' } });
      await res.arrayBuffer();
    }
    await (await fetch(`${base}/nope?a=1`)).arrayBuffer();
  }
  // fastify's own "Server listening" lines carry no request id; only request lines do.
  return records().filter((r) => r.reqId !== undefined);
}

void test('requests are not logged at info by default; one debug line per request', async (t) => {
  const atInfo = await serveAndGet(false, 'info', t);
  assert.deepEqual(atInfo, [], JSON.stringify(atInfo));
  const atDebug = (await serveAndGet(false, 'debug', t)).filter((r) => r.level === 'debug');
  assert.equal(atDebug.length, 8, JSON.stringify(atDebug));
  const notFound = atDebug.find((r) => r.statusCode === 404 && r.component === 'admin-http');
  assert.equal(notFound?.url, '/nope?a=1');
  assert.equal(typeof notFound?.reqId, 'string');
});

void test('access_log = on: exactly one info line per request, in combined log format, injection-safe', async (t) => {
  const lines = await serveAndGet(true, 'info', t);
  assert.equal(lines.length, 8, JSON.stringify(lines));
  assert.deepEqual(
    lines.map((r) => r.component),
    [
      'client-http',
      'client-http',
      'client-http',
      'client-http',
      'admin-http',
      'admin-http',
      'admin-http',
      'admin-http',
    ],
  );
  const clf =
    /^127\.0\.0\.1 - - \[\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000\] "GET (\/echo|\/nope\?a=1) HTTP\/1\.1" (200|404) (\d+|-) "-" "(.*)"$/;
  for (const r of lines) assert.match(String(r.msg), clf);
  assert.ok(
    String(lines[0]?.msg).endsWith(' 200 5 "-" "Windows-Update-Agent/10.0 \\"x\\""'),
    String(lines[0]?.msg),
  );
  assert.match(String(lines[3]?.msg), /"GET \/nope\?a=1 HTTP\/1\.1" 404 /);
  assert.equal(typeof lines[0]?.responseTimeMs, 'number');
});
