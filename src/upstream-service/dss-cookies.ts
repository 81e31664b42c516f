import { decodeCookie, encodeCookie, parseGuid } from '../domain/index.js';
import { AppError, isAppError } from '../errors.js';
import type { CookieKeyService } from '../client-service/index.js';

/**
 * REAL: WS2025 hands a DSS a 240-minute ServerSync cookie (exchanges/000003); SPEC: min(240 min, the auth
 * cookie's expiry). A session sealed just before a key rotation opens for `keepRetiredMs` after it (3 h by
 * default); past that the DSS gets InvalidCookie and, as the SPEC says, starts again at GetAuthConfig.
 */
export const dssSessionLifetimeMs = 240 * 60_000;
export const dssAuthLifetimeMs = 240 * 60_000;

/** What a downstream's session cookie asserts. */
export interface DssSession {
  /** The DSS's accountGuid (lower case). */
  readonly dssId: string;
  readonly expiresAtMs: number;
  /** The `protocolVersion` it announced in GetCookie. */
  readonly protocolMajor: number;
  readonly protocolMinor: number;
}

/** Parses `x.y`; InvalidParameters `protocolVersion` otherwise. */
export function parseProtocolVersion(text: string): { major: number; minor: number } {
  const m = /^(\d{1,4})\.(\d{1,4})$/.exec(text.trim());
  if (!m)
    throw new AppError('PB_ERR_INVALID_PARAMETER', 'protocolVersion is not x.y', {
      detail: { parameter: 'protocolVersion' },
    });
  return { major: Number(m[1]), minor: Number(m[2]) };
}

/**
 * The MS-WSUSSS cookies of downstream servers, sealed with the same AES-GCM codec and database key ring as
 * the client cookies (src/domain/cookies): kind `dss` for the DssAuth `CookieData`, `dss-session` for the
 * ServerSync `EncryptedData`, so neither passes for the other nor for a Windows client's cookie.
 */
export class DssCookies {
  constructor(
    private readonly keys: CookieKeyService,
    private readonly serverInstanceId: string,
  ) {}

  async issueAuth(dssId: string, nowMs: number): Promise<Buffer> {
    const id = parseGuid(dssId);
    if (id === undefined)
      throw new AppError('PB_ERR_INVALID_PARAMETER', 'accountGuid is not a GUID', {
        detail: { parameter: 'accountGuid' },
      });
    return encodeCookie(this.claims('dss', id, nowMs, nowMs + dssAuthLifetimeMs, 0), await this.keys.ring());
  }

  /** Any failure is InvalidAuthorizationCookie (GetCookie's fault for it). Returns the DSS id and expiry. */
  async openAuth(token: Buffer, nowMs: number): Promise<{ dssId: string; expiresAtMs: number }> {
    try {
      const c = decodeCookie(token, 'dss', await this.keys.ring(), nowMs);
      if (c.serverInstanceId !== this.serverInstanceId)
        throw new AppError('PB_ERR_COOKIE_INVALID', 'other server');
      return { dssId: c.clientId, expiresAtMs: c.expiresAtMs };
    } catch (e) {
      if (isAppError(e) && (e.code === 'PB_ERR_COOKIE_INVALID' || e.code === 'PB_ERR_COOKIE_EXPIRED'))
        throw new AppError('PB_ERR_AUTH_COOKIE_INVALID', 'authorization cookie refused', { cause: e });
      throw e;
    }
  }

  async issueSession(s: DssSession, nowMs: number): Promise<Buffer> {
    // The announced protocol version rides in the sync-anchor field: later answers may depend on it.
    const version = s.protocolMajor * 65_536 + s.protocolMinor;
    return encodeCookie(
      this.claims('dss-session', s.dssId, nowMs, s.expiresAtMs, version),
      await this.keys.ring(),
    );
  }

  /**
   * Opens a session cookie. InvalidCookie for anything unreadable or expired (MS-WSUSSS has no CookieExpired),
   * ServerChanged for a cookie of another instance of this database (restore, reinstall).
   */
  async openSession(token: Buffer, nowMs: number): Promise<DssSession> {
    let c;
    try {
      c = decodeCookie(token, 'dss-session', await this.keys.ring(), nowMs);
    } catch (e) {
      if (isAppError(e) && e.code === 'PB_ERR_COOKIE_EXPIRED')
        throw new AppError('PB_ERR_COOKIE_INVALID', 'session cookie expired', { cause: e });
      throw e;
    }
    if (c.serverInstanceId !== this.serverInstanceId)
      throw new AppError('PB_ERR_SERVER_CHANGED', 'cookie was issued by another server instance');
    return {
      dssId: c.clientId,
      expiresAtMs: c.expiresAtMs,
      protocolMajor: Math.floor(c.syncAnchor / 65_536),
      protocolMinor: c.syncAnchor % 65_536,
    };
  }

  private claims(kind: 'dss' | 'dss-session', id: string, now: number, expires: number, anchor: number) {
    return {
      kind,
      clientId: id,
      serverInstanceId: this.serverInstanceId,
      issuedAtMs: now,
      expiresAtMs: expires,
      configGeneration: 0,
      syncAnchor: anchor,
      groupIds: [],
      targetGroupNames: [],
    };
  }
}
