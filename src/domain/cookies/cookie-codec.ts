import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { AppError } from '../../errors.js';
import { parseGuid, type GroupId } from '../ids.js';
import { cookieKindCode, cookieLimits, type CookieClaims, type CookieKind } from './cookie-claims.js';
import { cookieKeyBytes, type CookieKeyRing } from './cookie-key-ring.js';

/*
 * Sealed cookie layout (all integers big-endian). Nothing but these fixed fields is ever read from a cookie:
 * no JSON, no generic deserialization (the CVE-2025-59287 lesson, docs/protocol/security.md §5.2).
 *
 *   header (clear, authenticated as AAD)
 *     0   u8    version (1)
 *     1   u8    kind: 1 auth, 2 session, 3 dss, 4 dss-session
 *     2   u32   key id
 *   6     12    GCM nonce (random per cookie)
 *   18    ...   ciphertext of the body below
 *   n-16  16    GCM tag
 *
 *   body
 *     0   16    client id (GUID bytes in text order)
 *     16  16    server instance id
 *     32  u64   issued-at ms
 *     40  u64   expires-at ms
 *     48  u64   config generation
 *     56  u64   sync anchor
 *     64  u8    group count (<= 32), then count x 16-byte group GUIDs
 *         u8    target group name count (<= 16; 0 unless kind = auth), then per name u16 length (1..256) + UTF-8
 *   The body must be consumed exactly.
 */
const version = 1;
const headerBytes = 6;
const nonceBytes = 12;
const tagBytes = 16;
const fixedBodyBytes = 66;
const maxBodyBytes =
  fixedBodyBytes +
  cookieLimits.maxGroups * 16 +
  cookieLimits.maxTargetGroupNames * (2 + cookieLimits.maxTargetGroupNameBytes);

export const minCookieBytes = headerBytes + nonceBytes + fixedBodyBytes + tagBytes;
export const maxCookieBytes = headerBytes + nonceBytes + maxBodyBytes + tagBytes;
/** Longest base64 spelling of a cookie. */
export const maxCookieBase64Length = Math.ceil(maxCookieBytes / 3) * 4;

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function invalid(): AppError {
  // One message for every failure: a forger learns nothing about which check refused the cookie.
  return new AppError('PB_ERR_COOKIE_INVALID', 'cookie is invalid');
}

function guidBytes(value: string, field: string): Buffer {
  const g = parseGuid(value);
  if (g === undefined)
    throw new AppError('PB_ERR_INVALID_PARAMETER', `${field} is not a GUID`, { detail: { field } });
  return Buffer.from(g.replaceAll('-', ''), 'hex');
}

function guidText(b: Buffer, offset: number): string {
  const h = b.toString('hex', offset, offset + 16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function u64(value: number, field: string): bigint {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new AppError('PB_ERR_INVALID_PARAMETER', `${field} must be a non-negative safe integer`, {
      detail: { field },
    });
  }
  return BigInt(value);
}

function activeKey(ring: CookieKeyRing): Buffer {
  const key = ring.keys.get(ring.activeKeyId);
  if (!Number.isInteger(ring.activeKeyId) || ring.activeKeyId < 0 || ring.activeKeyId > 0xffffffff) {
    throw new AppError('PB_ERR_INTERNAL', 'cookie key ring: active key id is not a u32');
  }
  if (key === undefined || key.length !== cookieKeyBytes) {
    throw new AppError('PB_ERR_INTERNAL', 'cookie key ring: active key missing or not 32 bytes');
  }
  return key;
}

/** Serialize and seal claims with the ring's active key. Throws PB_ERR_INVALID_PARAMETER for out-of-bounds claims. */
export function encodeCookie(claims: CookieClaims, ring: CookieKeyRing): Buffer {
  const key = activeKey(ring);
  const kindCode = cookieKindCode[claims.kind];
  if (kindCode === undefined) throw new AppError('PB_ERR_INVALID_PARAMETER', 'unknown cookie kind');
  if (claims.groupIds.length > cookieLimits.maxGroups) {
    throw new AppError('PB_ERR_INVALID_PARAMETER', 'too many groups in cookie', {
      detail: { field: 'groupIds' },
    });
  }
  if (claims.kind !== 'auth' && claims.targetGroupNames.length > 0) {
    throw new AppError('PB_ERR_INVALID_PARAMETER', 'only auth cookies carry target group names');
  }
  if (claims.targetGroupNames.length > cookieLimits.maxTargetGroupNames) {
    throw new AppError('PB_ERR_INVALID_PARAMETER', 'too many target group names', {
      detail: { field: 'targetGroupNames' },
    });
  }
  if (claims.expiresAtMs <= claims.issuedAtMs) {
    throw new AppError('PB_ERR_INVALID_PARAMETER', 'cookie expires before it is issued');
  }
  const names = claims.targetGroupNames.map((n) => Buffer.from(n, 'utf8'));
  for (const n of names) {
    if (n.length === 0 || n.length > cookieLimits.maxTargetGroupNameBytes) {
      throw new AppError('PB_ERR_INVALID_PARAMETER', 'target group name length out of bounds', {
        detail: { field: 'targetGroupNames' },
      });
    }
  }
  const body = Buffer.alloc(
    fixedBodyBytes + claims.groupIds.length * 16 + names.reduce((s, n) => s + 2 + n.length, 0),
  );
  guidBytes(claims.clientId, 'clientId').copy(body, 0);
  guidBytes(claims.serverInstanceId, 'serverInstanceId').copy(body, 16);
  body.writeBigUInt64BE(u64(claims.issuedAtMs, 'issuedAtMs'), 32);
  body.writeBigUInt64BE(u64(claims.expiresAtMs, 'expiresAtMs'), 40);
  body.writeBigUInt64BE(u64(claims.configGeneration, 'configGeneration'), 48);
  body.writeBigUInt64BE(u64(claims.syncAnchor, 'syncAnchor'), 56);
  let p = 64;
  body.writeUInt8(claims.groupIds.length, p++);
  for (const g of claims.groupIds) {
    guidBytes(g, 'groupIds').copy(body, p);
    p += 16;
  }
  body.writeUInt8(names.length, p++);
  for (const n of names) {
    body.writeUInt16BE(n.length, p);
    n.copy(body, p + 2);
    p += 2 + n.length;
  }

  const header = Buffer.alloc(headerBytes);
  header.writeUInt8(version, 0);
  header.writeUInt8(kindCode, 1);
  header.writeUInt32BE(ring.activeKeyId, 2);
  const nonce = randomBytes(nonceBytes);
  const cipher = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: tagBytes });
  cipher.setAAD(header);
  const ct = Buffer.concat([cipher.update(body), cipher.final()]);
  return Buffer.concat([header, nonce, ct, cipher.getAuthTag()]);
}

/**
 * Open a cookie of the expected kind. Order matters: length bounds, version, kind and key id (header
 * only), then the GCM tag, and only then are body fields read. Throws PB_ERR_COOKIE_EXPIRED for an
 * authentic cookie past its expiry, PB_ERR_COOKIE_INVALID for anything else, and nothing else, ever.
 */
export function decodeCookie(
  token: Uint8Array,
  expectedKind: CookieKind,
  ring: CookieKeyRing,
  nowMs: number,
): CookieClaims {
  let claims: CookieClaims;
  try {
    claims = openCookie(token, expectedKind, ring);
  } catch {
    throw invalid();
  }
  if (nowMs >= claims.expiresAtMs) throw new AppError('PB_ERR_COOKIE_EXPIRED', 'cookie has expired');
  return claims;
}

function openCookie(token: Uint8Array, expectedKind: CookieKind, ring: CookieKeyRing): CookieClaims {
  if (!(token instanceof Uint8Array) || token.length < minCookieBytes || token.length > maxCookieBytes)
    throw invalid();
  const t = Buffer.from(token.buffer, token.byteOffset, token.byteLength);
  if (t[0] !== version || t[1] !== cookieKindCode[expectedKind]) throw invalid();
  const key = ring.keys.get(t.readUInt32BE(2));
  if (key === undefined || key.length !== cookieKeyBytes) throw invalid();
  const decipher = createDecipheriv('aes-256-gcm', key, t.subarray(headerBytes, headerBytes + nonceBytes), {
    authTagLength: tagBytes,
  });
  decipher.setAAD(t.subarray(0, headerBytes));
  decipher.setAuthTag(t.subarray(t.length - tagBytes));
  // final() throws unless the tag verifies: no body byte is interpreted before that.
  const body = Buffer.concat([
    decipher.update(t.subarray(headerBytes + nonceBytes, t.length - tagBytes)),
    decipher.final(),
  ]);
  // The kind byte was checked against expectedKind above and is authenticated as AAD.
  return parseBody(body, expectedKind);
}

function parseBody(body: Buffer, kind: CookieKind): CookieClaims {
  if (body.length < fixedBodyBytes || body.length > maxBodyBytes) throw invalid();
  const readU64 = (off: number): number => {
    const v = body.readBigUInt64BE(off);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw invalid();
    return Number(v);
  };
  const issuedAtMs = readU64(32);
  const expiresAtMs = readU64(40);
  if (expiresAtMs <= issuedAtMs) throw invalid();
  let p = 64;
  const groupCount = body.readUInt8(p++);
  if (groupCount > cookieLimits.maxGroups || p + groupCount * 16 + 1 > body.length) throw invalid();
  const groupIds: GroupId[] = [];
  for (let i = 0; i < groupCount; i++, p += 16) groupIds.push(guidText(body, p) as GroupId);
  const nameCount = body.readUInt8(p++);
  if (nameCount > cookieLimits.maxTargetGroupNames || (kind !== 'auth' && nameCount > 0)) throw invalid();
  const targetGroupNames: string[] = [];
  for (let i = 0; i < nameCount; i++) {
    if (p + 2 > body.length) throw invalid();
    const len = body.readUInt16BE(p);
    p += 2;
    if (len === 0 || len > cookieLimits.maxTargetGroupNameBytes || p + len > body.length) throw invalid();
    targetGroupNames.push(utf8.decode(body.subarray(p, p + len)));
    p += len;
  }
  if (p !== body.length) throw invalid();
  return {
    kind,
    clientId: guidText(body, 0),
    serverInstanceId: guidText(body, 16),
    issuedAtMs,
    expiresAtMs,
    configGeneration: readU64(48),
    syncAnchor: readU64(56),
    groupIds,
    targetGroupNames,
  };
}

const base64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** The cookie as the SOAP layer carries it (`base64Binary`). */
export function encodeCookieBase64(claims: CookieClaims, ring: CookieKeyRing): string {
  return encodeCookie(claims, ring).toString('base64');
}

/** Strict base64 (bounded length, canonical alphabet) then `decodeCookie`; same error contract. */
export function decodeCookieBase64(
  text: string,
  expectedKind: CookieKind,
  ring: CookieKeyRing,
  nowMs: number,
): CookieClaims {
  if (typeof text !== 'string' || text.length > maxCookieBase64Length || !base64.test(text)) throw invalid();
  return decodeCookie(Buffer.from(text, 'base64'), expectedKind, ring, nowMs);
}
