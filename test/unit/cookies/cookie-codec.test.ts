import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createCipheriv, randomBytes, randomUUID } from 'node:crypto';
import { AppError } from '../../../src/errors.js';
import type { GroupId } from '../../../src/domain/ids.js';
import {
  decodeCookie,
  decodeCookieBase64,
  encodeCookie,
  encodeCookieBase64,
  maxCookieBytes,
  minCookieBytes,
  type CookieKind,
} from '../../../src/domain/cookies/index.js';
import { issuedAt, makeClaims, makeRing } from './cookie-fixtures.js';

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof AppError, `not an AppError: ${String(e)}`);
    return e.code;
  }
  return 'ACCEPTED';
}

void test('round trips for every kind, including limits and base64', () => {
  const ring = makeRing();
  for (const kind of ['auth', 'session', 'dss', 'dss-session'] as CookieKind[]) {
    const claims = makeClaims(kind);
    const token = encodeCookie(claims, ring);
    assert.deepEqual(decodeCookie(token, kind, ring, issuedAt + 1), claims);
    assert.deepEqual(decodeCookieBase64(encodeCookieBase64(claims, ring), kind, ring, issuedAt), claims);
    // Fresh nonce: the same claims never seal to the same bytes.
    assert.notDeepEqual(encodeCookie(claims, ring), token);
  }
  const biggest = makeClaims('auth', {
    groupIds: Array.from({ length: 32 }, () => randomUUID() as GroupId),
    targetGroupNames: Array.from({ length: 16 }, (_, i) => `${i}`.padEnd(256, 'x')),
    issuedAtMs: 0,
    expiresAtMs: Number.MAX_SAFE_INTEGER,
    configGeneration: 0,
    syncAnchor: 0,
  });
  const big = encodeCookie(biggest, ring);
  assert.equal(big.length, maxCookieBytes);
  assert.deepEqual(decodeCookie(big, 'auth', ring, 1), biggest);
  const smallest = makeClaims('session', { groupIds: [] });
  assert.equal(encodeCookie(smallest, ring).length, minCookieBytes);
  // Upper-case GUIDs are normalised.
  const upper = makeClaims('session', { clientId: 'A0A08746-4DBE-4A37-9ADF-9E7652C0B421' });
  assert.equal(
    decodeCookie(encodeCookie(upper, ring), 'session', ring, issuedAt).clientId,
    upper.clientId.toLowerCase(),
  );
});

void test('expired is told apart from invalid; key rotation keeps old cookies readable', () => {
  const ring = makeRing(1, []);
  const claims = makeClaims('session');
  const token = encodeCookie(claims, ring);
  assert.equal(
    codeOf(() => decodeCookie(token, 'session', ring, claims.expiresAtMs - 1)),
    'ACCEPTED',
  );
  assert.equal(
    codeOf(() => decodeCookie(token, 'session', ring, claims.expiresAtMs)),
    'PB_ERR_COOKIE_EXPIRED',
  );
  // An expired cookie with a broken tag is invalid, not expired.
  const broken = Buffer.from(token);
  broken[broken.length - 1] = (broken[broken.length - 1] ?? 0) ^ 1;
  assert.equal(
    codeOf(() => decodeCookie(broken, 'session', ring, claims.expiresAtMs + 1)),
    'PB_ERR_COOKIE_INVALID',
  );
  // Rotate: key 2 becomes active, key 1 stays for decoding.
  const rotated = { activeKeyId: 2, keys: new Map([...ring.keys, [2, randomBytes(32)]]) };
  assert.equal(encodeCookie(claims, rotated).readUInt32BE(2), 2);
  assert.deepEqual(decodeCookie(token, 'session', rotated, issuedAt), claims);
  // Retire key 1: its cookies are invalid from then on.
  const retired = { activeKeyId: 2, keys: new Map([[2, rotated.keys.get(2) as Buffer]]) };
  assert.equal(
    codeOf(() => decodeCookie(token, 'session', retired, issuedAt)),
    'PB_ERR_COOKIE_INVALID',
  );
});

void test('a cookie of one kind never passes as another', () => {
  const ring = makeRing();
  const auth = encodeCookie(makeClaims('auth'), ring);
  const session = encodeCookie(makeClaims('session'), ring);
  assert.equal(
    codeOf(() => decodeCookie(auth, 'session', ring, issuedAt)),
    'PB_ERR_COOKIE_INVALID',
  );
  assert.equal(
    codeOf(() => decodeCookie(session, 'dss', ring, issuedAt)),
    'PB_ERR_COOKIE_INVALID',
  );
  // A downstream server's DssAuth cookie never passes for its ServerSync session cookie, nor the reverse.
  const dss = encodeCookie(makeClaims('dss'), ring);
  const dssSession = encodeCookie(makeClaims('dss-session'), ring);
  assert.equal(
    codeOf(() => decodeCookie(dss, 'dss-session', ring, issuedAt)),
    'PB_ERR_COOKIE_INVALID',
  );
  assert.equal(
    codeOf(() => decodeCookie(dssSession, 'dss', ring, issuedAt)),
    'PB_ERR_COOKIE_INVALID',
  );
  assert.equal(
    codeOf(() => decodeCookie(dssSession, 'session', ring, issuedAt)),
    'PB_ERR_COOKIE_INVALID',
  );
  // Rewriting the kind byte breaks the tag (the header is authenticated).
  const relabelled = Buffer.from(session);
  relabelled[1] = 1;
  assert.equal(
    codeOf(() => decodeCookie(relabelled, 'auth', ring, issuedAt)),
    'PB_ERR_COOKIE_INVALID',
  );
});

void test('authentic but malformed bodies are refused (defence in depth behind the tag)', () => {
  const ring = makeRing(5, []);
  const key = ring.keys.get(5) as Buffer;
  const seal = (kind: number, body: Buffer): Buffer => {
    const header = Buffer.from([1, kind, 0, 0, 0, 5]);
    const nonce = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: 16 });
    c.setAAD(header);
    const ct = Buffer.concat([c.update(body), c.final()]);
    return Buffer.concat([header, nonce, ct, c.getAuthTag()]);
  };
  const base = (): Buffer => {
    const b = Buffer.alloc(66);
    b.writeBigUInt64BE(1n, 32);
    b.writeBigUInt64BE(BigInt(Number.MAX_SAFE_INTEGER), 40);
    return b;
  };
  assert.equal(
    codeOf(() => decodeCookie(seal(2, base()), 'session', ring, 2)),
    'ACCEPTED',
  );
  const bodies: Buffer[] = [];
  let b = base();
  b[64] = 33; // too many groups
  bodies.push(Buffer.concat([b, Buffer.alloc(33 * 16)]));
  b = base();
  b[64] = 2; // group count beyond the body
  bodies.push(Buffer.concat([b, Buffer.alloc(16)]));
  b = base();
  b[65] = 1; // a name in a session cookie
  bodies.push(Buffer.concat([b, Buffer.from([0, 1, 0x41])]));
  bodies.push(Buffer.concat([base(), Buffer.from([0])])); // trailing byte
  b = base();
  b.writeBigUInt64BE(2n ** 64n - 1n, 48); // beyond a safe integer
  bodies.push(b);
  b = base();
  b.writeBigUInt64BE(0n, 40); // expires before issued
  bodies.push(b);
  for (const [i, body] of bodies.entries()) {
    assert.equal(
      codeOf(() => decodeCookie(seal(2, body), 'session', ring, 2)),
      'PB_ERR_COOKIE_INVALID',
      `body ${i}`,
    );
  }
  const auth = (names: Buffer): Buffer => {
    const a = base();
    a[65] = 1;
    return seal(1, Buffer.concat([a, names]));
  };
  assert.equal(
    codeOf(() => decodeCookie(auth(Buffer.from([0, 1, 0x41])), 'auth', ring, 2)),
    'ACCEPTED',
  );
  assert.equal(
    codeOf(() => decodeCookie(auth(Buffer.from([0, 1, 0xff])), 'auth', ring, 2)),
    'PB_ERR_COOKIE_INVALID',
  );
  assert.equal(
    codeOf(() => decodeCookie(auth(Buffer.from([0, 0])), 'auth', ring, 2)),
    'PB_ERR_COOKIE_INVALID',
  );
  assert.equal(
    codeOf(() => decodeCookie(auth(Buffer.from([0, 5, 0x41])), 'auth', ring, 2)),
    'PB_ERR_COOKIE_INVALID',
  );
});

void test('hostile inputs of any type only ever produce the typed errors', () => {
  const ring = makeRing();
  const junk: unknown[] = [
    null,
    undefined,
    42,
    'string',
    {},
    { length: 200 },
    [1, 2, 3],
    new Uint16Array(100),
    Buffer.alloc(0),
    Buffer.alloc(minCookieBytes - 1, 1),
    Buffer.alloc(maxCookieBytes + 1, 1),
    Buffer.alloc(10_000_000),
  ];
  for (const j of junk) {
    assert.equal(
      codeOf(() => decodeCookie(j as Uint8Array, 'session', ring, 0)),
      'PB_ERR_COOKIE_INVALID',
    );
  }
  for (const s of [
    '',
    '====',
    'not base64!',
    'A'.repeat(10_000),
    'YQ',
    'YQ=',
    '\u0000',
    encodeCookieBase64(makeClaims('session'), ring) + '\n',
  ]) {
    assert.equal(
      codeOf(() => decodeCookieBase64(s, 'session', ring, 0)),
      'PB_ERR_COOKIE_INVALID',
      JSON.stringify(s.slice(0, 20)),
    );
  }
  // A broken key ring entry is a refusal, not a crash.
  const token = encodeCookie(makeClaims('session'), ring);
  const badRing = { activeKeyId: 7, keys: new Map([[7, Buffer.alloc(16)]]) };
  assert.equal(
    codeOf(() => decodeCookie(token, 'session', badRing, 0)),
    'PB_ERR_COOKIE_INVALID',
  );
  assert.equal(
    codeOf(() => encodeCookie(makeClaims('session'), badRing)),
    'PB_ERR_INTERNAL',
  );
});

void test('encode refuses out-of-bounds claims', () => {
  const ring = makeRing();
  const cases = [
    makeClaims('session', { targetGroupNames: ['x'] }),
    makeClaims('auth', { targetGroupNames: [''] }),
    makeClaims('auth', { targetGroupNames: ['x'.repeat(257)] }),
    makeClaims('auth', { targetGroupNames: Array.from({ length: 17 }, () => 'x') }),
    makeClaims('auth', { groupIds: Array.from({ length: 33 }, () => randomUUID() as GroupId) }),
    makeClaims('auth', { clientId: 'not-a-guid' }),
    makeClaims('auth', { configGeneration: -1 }),
    makeClaims('auth', { syncAnchor: 2 ** 60 }),
    makeClaims('auth', { expiresAtMs: issuedAt }),
  ];
  for (const c of cases)
    assert.equal(
      codeOf(() => encodeCookie(c, ring)),
      'PB_ERR_INVALID_PARAMETER',
    );
});
