import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backoffDelay, isLoopbackHost, parseNoProxy, parseRetryAfter } from '../../../src/sync/index.js';

void test('NO_PROXY: names, suffixes, wildcards, ports, IP literals and CIDR blocks', () => {
  const r = parseNoProxy(
    ' example.com, .corp.local *.lab.test ,wsus.internal:8530, 10.0.0.0/8,[fd00::1]:443, 192.168.1.5 ,fe80::/10',
  );
  const cases: [string, number, boolean][] = [
    ['example.com', 80, true],
    ['www.example.com', 443, true],
    ['EXAMPLE.COM.', 80, true],
    ['notexample.com', 80, false],
    ['corp.local', 80, false],
    ['a.corp.local', 80, true],
    ['lab.test', 80, false],
    ['x.y.lab.test', 80, true],
    ['wsus.internal', 8530, true],
    ['wsus.internal', 8531, false],
    ['10.20.30.40', 80, true],
    ['11.0.0.1', 80, false],
    ['[fd00::1]', 443, true],
    ['fd00:0:0:0:0:0:0:1', 443, true],
    ['fd00::1', 80, false],
    ['192.168.1.5', 1234, true],
    ['192.168.1.6', 1234, false],
    ['fe80::abcd', 80, true],
    ['sws.update.microsoft.com', 443, false],
  ];
  for (const [host, port, expected] of cases)
    assert.equal(r.matches(host, port), expected, `${host}:${port}`);
  assert.equal(parseNoProxy('*').matches('anything.example', 443), true);
  assert.equal(parseNoProxy('').matches('example.com', 80), false);
  assert.equal(parseNoProxy(undefined).all, false);
});

void test('loopback detection covers localhost names, 127/8, ::1 and mapped addresses', () => {
  for (const h of [
    'localhost',
    'LOCALHOST.',
    'api.localhost',
    '127.0.0.1',
    '127.5.6.7',
    '::1',
    '[::1]',
    '::ffff:127.0.0.1',
  ]) {
    assert.equal(isLoopbackHost(h), true, h);
  }
  for (const h of ['localhost.example.com', '128.0.0.1', '10.0.0.1', '::2', 'sws.update.microsoft.com']) {
    assert.equal(isLoopbackHost(h), false, h);
  }
});

void test('full-jitter backoff stays within [0, min(cap, base * 2^n)] and uses the whole range', () => {
  const policy = { baseDelayMs: 1000, maxDelayMs: 60_000 };
  assert.equal(
    backoffDelay(0, policy, () => 0),
    0,
  );
  assert.equal(
    backoffDelay(0, policy, () => 0.999999),
    999,
  );
  assert.equal(
    backoffDelay(3, policy, () => 0.5),
    4000,
  );
  assert.equal(
    backoffDelay(10, policy, () => 0.5),
    30_000,
    'capped',
  );
  assert.equal(
    backoffDelay(5000, policy, () => 0.5),
    30_000,
    'no overflow on huge retry counts',
  );
});

void test('Retry-After: seconds, HTTP dates, garbage and hostile sizes', () => {
  const now = Date.UTC(2026, 0, 1);
  assert.equal(parseRetryAfter('120', now), 120_000);
  assert.equal(parseRetryAfter(['5', '9'], now), 5000);
  assert.equal(parseRetryAfter(new Date(now + 30_000).toUTCString(), now), 30_000);
  assert.equal(parseRetryAfter(new Date(now - 30_000).toUTCString(), now), 0);
  assert.equal(parseRetryAfter('soon', now), undefined);
  assert.equal(parseRetryAfter(undefined, now), undefined);
  assert.equal(parseRetryAfter('99999999999999999999', now), Number.MAX_SAFE_INTEGER);
});
