import assert from 'node:assert/strict';
import { createServer, type AddressInfo } from 'node:net';
import { test } from 'node:test';
import { AppError } from '../../../src/errors.js';
import { UpstreamTransport } from '../../../src/sync/index.js';
import {
  FakeClock,
  SOAP_ACTION,
  SOAP_OK,
  SOAP_REQUEST,
  captureLogger,
  seededRandom,
  sendXml,
  startOrigin,
} from './harness.js';

const HOUR = 3_600_000;

const call = (tr: UpstreamTransport, url: string) =>
  tr.postSoap({
    url: `${url}/ServerSyncWebService/ServerSyncWebService.asmx`,
    soapAction: SOAP_ACTION,
    body: SOAP_REQUEST,
    maxResponseBytes: 1 << 20,
  });

void test('the breaker opens after N failures with one offline line, fails fast, probes once, and logs one online line', async (t) => {
  let down = true;
  const origin = await startOrigin(t, (_req, res) => {
    if (down) {
      res.writeHead(500, { 'content-type': 'text/html' });
      res.end('<html>Service Unavailable</html>');
    } else sendXml(res, 200, SOAP_OK);
  });
  const clock = new FakeClock();
  const { logger, lines } = captureLogger('info');
  const tr = new UpstreamTransport({
    proxy: { mode: 'none' },
    clock,
    random: seededRandom(),
    logger,
    retry: { maxAttempts: 1 },
    breaker: { failureThreshold: 3, coolDownMs: 10_000, maxCoolDownMs: 60_000 },
  });
  t.after(() => tr.close());

  for (let i = 0; i < 3; i++) await assert.rejects(call(tr, origin.url), { code: 'PB_ERR_UPSTREAM_HTTP' });
  assert.equal(tr.breakerState(origin.url), 'open');
  assert.equal(origin.received.length, 3);

  // While open: no network, a typed error with the time to wait.
  for (let i = 0; i < 20; i++) {
    await assert.rejects(call(tr, origin.url), (e) => {
      assert.ok(e instanceof AppError && e.code === 'PB_ERR_UPSTREAM_UNAVAILABLE');
      const wait = Number(e.detail?.retryAfterMs);
      assert.ok(wait > 0 && wait <= 10_000, `retryAfterMs ${wait}`);
      assert.match(String(e.detail?.reason), /HTTP 500/);
      return true;
    });
  }
  assert.equal(origin.received.length, 3, 'fail fast: nothing reached the upstream');

  // Cool-down passes, the probe fails: still offline, no second offline line, a longer cool-down.
  clock.t += 10_000;
  assert.equal(tr.breakerState(origin.url), 'half-open');
  await assert.rejects(call(tr, origin.url), { code: 'PB_ERR_UPSTREAM_HTTP' });
  assert.equal(origin.received.length, 4);
  await assert.rejects(call(tr, origin.url), { code: 'PB_ERR_UPSTREAM_UNAVAILABLE' });

  // Half-open with the upstream back: concurrent callers, exactly one probe goes out.
  down = false;
  clock.t += 20_000;
  const results = await Promise.allSettled([
    call(tr, origin.url),
    call(tr, origin.url),
    call(tr, origin.url),
  ]);
  assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
  assert.equal(
    results.filter(
      (r) => r.status === 'rejected' && (r.reason as AppError).code === 'PB_ERR_UPSTREAM_UNAVAILABLE',
    ).length,
    2,
  );
  assert.equal(origin.received.length, 5);
  assert.equal(tr.breakerState(origin.url), 'closed');
  await call(tr, origin.url);

  const offline = lines.filter((l) => l.msg === 'upstream offline');
  const online = lines.filter((l) => l.msg === 'upstream back online');
  assert.equal(offline.length, 1, JSON.stringify(lines));
  assert.equal(online.length, 1, JSON.stringify(lines));
  assert.equal(offline[0]?.level, 40, 'warn');
  assert.match(String(offline[0]?.reason), /HTTP 500/);
  assert.equal(online[0]?.level, 30, 'info');
  assert.equal(online[0]?.outageMs, 30_000);
  assert.equal(online[0]?.origin, origin.url);
});

/**
 * targets.md R8: 24 h of upstream errors on a simulated clock. The caller is deliberately naive (it retries as
 * soon as it is told it may); the transport alone must keep the attempts bounded and spaced.
 */
void test('24 h simulated outage (503): attempts are bounded and spaced, recovery is prompt and logged once', async (t) => {
  const clock = new FakeClock();
  const start = clock.now();
  const outageEnd = start + 24 * HOUR;
  const hits: number[] = [];
  const origin = await startOrigin(t, (_req, res) => {
    hits.push(clock.now());
    if (clock.now() < outageEnd) {
      res.writeHead(503, { 'content-type': 'text/html' });
      res.end('down');
    } else sendXml(res, 200, SOAP_OK);
  });
  const { logger, lines } = captureLogger('info');
  const maxCoolDownMs = 15 * 60_000;
  const tr = new UpstreamTransport({
    proxy: { mode: 'none' },
    clock,
    random: seededRandom(7),
    logger,
    retry: { maxAttempts: 5, baseDelayMs: 1000, maxDelayMs: 60_000 },
    breaker: { failureThreshold: 5, coolDownMs: 30_000, maxCoolDownMs },
  });
  t.after(() => tr.close());

  let loops = 0;
  let recoveredAt: number | undefined;
  while (clock.now() < outageEnd + HOUR && loops < 100_000) {
    loops++;
    try {
      await call(tr, origin.url);
      recoveredAt = clock.now();
      break;
    } catch (e) {
      assert.ok(e instanceof AppError);
      await clock.sleep(Number(e.detail?.retryAfterMs ?? 0));
    }
  }
  const during = hits.filter((h) => h < outageEnd);
  const gaps = during.slice(1).map((h, i) => h - (during[i] ?? 0));
  const perTenMinutes = Math.max(
    ...during.map((h) => during.filter((x) => x >= h && x < h + 600_000).length),
  );
  process.stdout.write(
    `# 24h outage (503): ${during.length} upstream attempts, ${loops} caller loops, max ${perTenMinutes} attempts in 10 min, ` +
      `median gap ${Math.round(gaps.sort((a, b) => a - b)[Math.floor(gaps.length / 2)]! / 1000)} s, ` +
      `recovered ${Math.round(((recoveredAt ?? 0) - outageEnd) / 1000)} s after the upstream came back\n`,
  );

  // Bounded: at least one probe per max cool-down, at most one per half of it, plus the first retry burst.
  assert.ok(during.length >= (24 * HOUR) / maxCoolDownMs - 2, `${during.length} attempts: too few probes`);
  assert.ok(during.length <= (24 * HOUR) / (maxCoolDownMs / 2) + 15, `${during.length} attempts: hot loop`);
  assert.ok(perTenMinutes <= 12, `burst of ${perTenMinutes} attempts within 10 minutes`);
  assert.ok(loops < 2 * during.length + 10, `the caller looped ${loops} times`);
  // Capped: once the cool-down reached its cap, no gap exceeds it.
  assert.ok(Math.max(...gaps) <= maxCoolDownMs + 1000, `largest gap ${Math.max(...gaps)} ms`);
  // Prompt recovery and exactly one line each way.
  assert.ok(
    recoveredAt !== undefined && recoveredAt - outageEnd <= maxCoolDownMs,
    'recovered within one cool-down',
  );
  assert.equal(lines.filter((l) => l.msg === 'upstream offline').length, 1);
  const online = lines.filter((l) => l.msg === 'upstream back online');
  assert.equal(online.length, 1);
  assert.ok(Math.abs(Number(online[0]?.outageMs) - 24 * HOUR) <= maxCoolDownMs, String(online[0]?.outageMs));
});

void test('24 h simulated outage (connection refused): the same bound holds without any HTTP answer', async (t) => {
  const port = await new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
  const clock = new FakeClock();
  const { logger, lines } = captureLogger('info');
  const tr = new UpstreamTransport({
    proxy: { mode: 'none' },
    clock,
    random: seededRandom(11),
    logger,
    breaker: { failureThreshold: 5, coolDownMs: 30_000, maxCoolDownMs: 15 * 60_000 },
  });
  t.after(() => tr.close());
  let connectAttempts = 0;
  let loops = 0;
  const end = clock.now() + 24 * HOUR;
  while (clock.now() < end && loops < 100_000) {
    loops++;
    try {
      await call(tr, `http://127.0.0.1:${port}`);
    } catch (e) {
      assert.ok(e instanceof AppError);
      if (e.code === 'PB_ERR_UPSTREAM_CONNECT') connectAttempts++;
      else assert.equal(e.code, 'PB_ERR_UPSTREAM_UNAVAILABLE');
      await clock.sleep(Number(e.detail?.retryAfterMs ?? 0));
    }
  }
  process.stdout.write(
    `# 24h outage (refused): ${loops} caller loops, ${connectAttempts} calls ending in a connect error\n`,
  );
  assert.ok(loops <= 2 * ((24 * HOUR) / (7.5 * 60_000)) + 20, `${loops} caller loops`);
  assert.equal(lines.filter((l) => l.msg === 'upstream offline').length, 1);
  assert.equal(lines.filter((l) => l.msg === 'upstream back online').length, 0);
});
