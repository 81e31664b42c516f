import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { AppError } from '../../src/errors.js';
import {
  decodeCookie,
  encodeCookie,
  maxCookieBytes,
  type CookieKeyRing,
  type CookieKind,
} from '../../src/domain/cookies/index.js';
import { fuzzIterations, fuzzSeed } from '../helpers/fuzz.js';
import { issuedAt, makeClaims, makeRing } from '../unit/cookies/cookie-fixtures.js';

/**
 * targets.md R5: forged, bit-flipped, truncated, extended, spliced, cross-key, cross-kind and expired
 * cookies, zero accepted, and nothing but the two typed errors ever thrown. 100k cases in CI (a few
 * seconds); PATCHBAY_FUZZ_ITERATIONS=<count> and PATCHBAY_FUZZ_SEED as for every fuzz suite (test/helpers/fuzz.ts).
 */
const cases = fuzzIterations(100_000);
const seed = fuzzSeed(Math.floor(Math.random() * 2 ** 31));

/** xorshift32: reproducible from the printed seed. */
function prng(s: number): () => number {
  let x = s >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

const kinds: CookieKind[] = ['auth', 'session', 'dss', 'dss-session'];
const mutations = [
  'bitflip',
  'truncate',
  'extend',
  'random',
  'crosskey',
  'crosskind',
  'expired',
  'splice',
  'keyid',
] as const;

void test(`cookie fuzz: ${cases} hostile cookies, zero accepted (seed ${seed})`, (t) => {
  assert.ok(Number.isSafeInteger(cases) && cases > 0);
  const next = prng(seed);
  const below = (n: number): number => next() % n;
  const ring: CookieKeyRing = makeRing(7, [3, 0xffffffff]);
  const ringIds = [...ring.keys.keys()];
  // Attacker keys sealed under the ring's key ids.
  const attacker: CookieKeyRing[] = ringIds.map((id) => ({
    activeKeyId: id,
    keys: new Map([[id, randomBytes(32)]]),
  }));
  const genuine = Array.from({ length: 300 }, (_, i) => {
    const kind = kinds[i % kinds.length] as CookieKind;
    const claims = makeClaims(kind);
    const r = i % 2 === 0 ? ring : { ...ring, activeKeyId: ringIds[i % ringIds.length] as number };
    return { kind, claims, token: encodeCookie(claims, r) };
  });
  const forged = Array.from({ length: 300 }, (_, i) => {
    const kind = kinds[i % kinds.length] as CookieKind;
    return { kind, token: encodeCookie(makeClaims(kind), attacker[i % attacker.length] as CookieKeyRing) };
  });
  const pool = randomBytes(1 << 20);
  const randomChunk = (n: number): Buffer => {
    const off = below(pool.length - n);
    return pool.subarray(off, off + n);
  };
  const now = issuedAt + 60_000;

  const counts = new Map<string, number>();
  let accepted = 0;
  let expiredSeen = 0;
  let skippedIdentical = 0;
  const started = process.hrtime.bigint();
  for (let i = 0; i < cases; i++) {
    const m = mutations[i % mutations.length] as (typeof mutations)[number];
    const g = genuine[below(genuine.length)] as (typeof genuine)[number];
    let token: Buffer;
    let kind = g.kind;
    let at = now;
    switch (m) {
      case 'bitflip': {
        token = Buffer.from(g.token);
        const flips = 1 + below(4);
        for (let f = 0; f < flips; f++) {
          const pos = below(token.length);
          token[pos] = (token[pos] ?? 0) ^ (1 << below(8));
        }
        break;
      }
      case 'truncate':
        token = g.token.subarray(0, below(g.token.length));
        break;
      case 'extend':
        token = Buffer.concat([g.token, randomChunk(1 + below(64))]);
        break;
      case 'random': {
        // Random bodies behind a plausible header so they reach the tag check.
        token = Buffer.from(randomChunk(1 + below(maxCookieBytes + 64)));
        if (token.length >= 6 && below(2) === 0) g.token.copy(token, 0, 0, 6);
        break;
      }
      case 'crosskey': {
        const f = forged[below(forged.length)] as (typeof forged)[number];
        token = f.token;
        kind = f.kind;
        break;
      }
      case 'crosskind':
        token = g.token;
        kind = kinds[(kinds.indexOf(g.kind) + 1 + below(kinds.length - 1)) % kinds.length] as CookieKind;
        break;
      case 'expired':
        token = g.token;
        at = g.claims.expiresAtMs + below(10_000_000);
        break;
      case 'splice': {
        const o = genuine[below(genuine.length)] as (typeof genuine)[number];
        token = Buffer.concat([g.token.subarray(0, 18), o.token.subarray(18)]);
        if (o === g) token = Buffer.concat([token.subarray(0, 18), randomChunk(12), token.subarray(30)]);
        break;
      }
      case 'keyid':
        token = Buffer.from(g.token);
        token.writeUInt32BE(below(2) === 0 ? (ringIds[below(ringIds.length)] as number) : next(), 2);
        if (token.readUInt32BE(2) === g.token.readUInt32BE(2))
          token.writeUInt32BE((token.readUInt32BE(2) ^ 1) >>> 0, 2);
        break;
    }
    if (m !== 'expired' && m !== 'crosskind' && token.equals(g.token)) {
      skippedIdentical++;
      continue;
    }
    try {
      decodeCookie(token, kind, ring, at);
      accepted++;
      assert.fail(`accepted a ${m} cookie: ${token.toString('base64')} (seed ${seed}, case ${i})`);
    } catch (e) {
      if (!(e instanceof AppError))
        throw new Error(`untyped error for a ${m} cookie (seed ${seed}, case ${i})`, { cause: e });
      if (e.code === 'PB_ERR_COOKIE_EXPIRED') {
        assert.equal(
          m,
          'expired',
          `only authentic expired cookies are reported expired (seed ${seed}, case ${i})`,
        );
        expiredSeen++;
      } else {
        assert.equal(e.code, 'PB_ERR_COOKIE_INVALID');
      }
      counts.set(m, (counts.get(m) ?? 0) + 1);
    }
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  assert.equal(accepted, 0);
  assert.equal(expiredSeen, counts.get('expired'));
  assert.ok(skippedIdentical < cases / 1000, `too many identical mutations: ${skippedIdentical}`);
  t.diagnostic(
    `${cases} cases in ${seconds.toFixed(2)} s (${((seconds / cases) * 1e6).toFixed(2)} us/case), skipped ${skippedIdentical}`,
  );
  t.diagnostic(JSON.stringify(Object.fromEntries(counts)));
});

void test('cookie codec timing per operation', (t) => {
  const ring = makeRing();
  const claims = makeClaims('session');
  const token = encodeCookie(claims, ring);
  const n = 20_000;
  let t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) encodeCookie(claims, ring);
  const enc = Number(process.hrtime.bigint() - t0) / n / 1000;
  t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) decodeCookie(token, 'session', ring, issuedAt);
  const dec = Number(process.hrtime.bigint() - t0) / n / 1000;
  const bad = Buffer.from(token);
  bad[40] = (bad[40] ?? 0) ^ 1;
  t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    try {
      decodeCookie(bad, 'session', ring, issuedAt);
    } catch {
      // expected
    }
  }
  const rej = Number(process.hrtime.bigint() - t0) / n / 1000;
  t.diagnostic(
    `encode ${enc.toFixed(2)} us/op, decode ${dec.toFixed(2)} us/op, reject forged ${rej.toFixed(2)} us/op (${token.length}-byte session cookie)`,
  );
  // Sanity bound only (shared machine): a cookie operation far above 1 ms would mean something is wrong.
  assert.ok(enc < 1000 && dec < 1000 && rej < 1000);
});
