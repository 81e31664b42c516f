import { AppError, isAppError } from '../errors.js';
import { decodeCookie, encodeCookie, type CookieClaims } from '../domain/index.js';
import type { CookieKeyService } from './cookie-keys.js';

/** REAL: a session cookie lives one hour from GetCookie and is never extended (docs/protocol/client.md §1.4, §1.5). */
export const sessionLifetimeMs = 3600_000;
/** The auth cookie only bridges GetAuthorizationCookie -> GetCookie. */
export const authLifetimeMs = 3600_000;

/**
 * Where a client stands in its sync: the catalog generation its current scan is pinned to (0 = none yet)
 * and the deployment change sequence it has been told about (drives ChangedUpdates). Both travel in the
 * cookie codec's 64-bit `syncAnchor`: generation in the high 21 bits, change sequence in the low 32.
 */
export interface SyncPosition {
  readonly generationId: number;
  readonly changeSeq: number;
}

const two32 = 2 ** 32;
const maxGeneration = 2 ** 21 - 1;

export function packSyncPosition(p: SyncPosition): number {
  if (!Number.isInteger(p.generationId) || p.generationId < 0 || p.generationId > maxGeneration)
    throw new AppError('PB_ERR_INTERNAL', `generation ${p.generationId} does not fit the cookie`);
  if (!Number.isInteger(p.changeSeq) || p.changeSeq < 0 || p.changeSeq >= two32)
    throw new AppError('PB_ERR_INTERNAL', `change sequence ${p.changeSeq} does not fit the cookie`);
  return p.generationId * two32 + p.changeSeq;
}

export function unpackSyncPosition(anchor: number): SyncPosition {
  return { generationId: Math.floor(anchor / two32), changeSeq: anchor % two32 };
}

export interface SessionClaims {
  readonly clientId: string;
  readonly groupIds: readonly string[];
  readonly issuedAtMs: number;
  /** Fixed at GetCookie; every NewCookie repeats it. */
  readonly expiresAtMs: number;
  readonly configGeneration: number;
  readonly position: SyncPosition;
}

export interface AuthClaims {
  readonly clientId: string;
  readonly targetGroupNames: readonly string[];
}

/**
 * Mints and opens the MS-WUSP cookies with the database-backed key ring. Opening checks, in this order:
 * the GCM tag (before any field is read; decodeCookie), expiry, the server instance id (ServerChanged),
 * the configuration generation (ConfigChanged). The claims never leave the server.
 */
export class ClientCookies {
  constructor(
    private readonly keys: CookieKeyService,
    private readonly serverInstanceId: string,
  ) {}

  async issueAuth(a: AuthClaims, nowMs: number): Promise<Buffer> {
    return encodeCookie(
      {
        kind: 'auth',
        clientId: a.clientId,
        serverInstanceId: this.serverInstanceId,
        issuedAtMs: nowMs,
        expiresAtMs: nowMs + authLifetimeMs,
        configGeneration: 0,
        syncAnchor: 0,
        groupIds: [],
        targetGroupNames: a.targetGroupNames,
      },
      await this.keys.ring(),
    );
  }

  /** Any failure is InvalidAuthorizationCookie (the GetCookie fault for a bad auth cookie). */
  async openAuth(token: Buffer, nowMs: number): Promise<AuthClaims> {
    let c: CookieClaims;
    try {
      c = decodeCookie(token, 'auth', await this.keys.ring(), nowMs);
    } catch (e) {
      if (isAppError(e) && (e.code === 'PB_ERR_COOKIE_INVALID' || e.code === 'PB_ERR_COOKIE_EXPIRED'))
        throw new AppError('PB_ERR_AUTH_COOKIE_INVALID', 'authorization cookie refused', { cause: e });
      throw e;
    }
    if (c.serverInstanceId !== this.serverInstanceId)
      throw new AppError('PB_ERR_AUTH_COOKIE_INVALID', 'authorization cookie of another server instance');
    return { clientId: c.clientId, targetGroupNames: c.targetGroupNames };
  }

  async issueSession(s: SessionClaims): Promise<Buffer> {
    return encodeCookie(
      {
        kind: 'session',
        clientId: s.clientId,
        serverInstanceId: this.serverInstanceId,
        issuedAtMs: s.issuedAtMs,
        expiresAtMs: s.expiresAtMs,
        configGeneration: s.configGeneration,
        syncAnchor: packSyncPosition(s.position),
        groupIds: s.groupIds,
        targetGroupNames: [],
      },
      await this.keys.ring(),
    );
  }

  /** Throws PB_ERR_COOKIE_INVALID / _EXPIRED / PB_ERR_SERVER_CHANGED / PB_ERR_CONFIG_CHANGED. */
  async openSession(token: Buffer, nowMs: number, currentConfigGeneration: number): Promise<SessionClaims> {
    const c = decodeCookie(token, 'session', await this.keys.ring(), nowMs);
    if (c.serverInstanceId !== this.serverInstanceId)
      throw new AppError('PB_ERR_SERVER_CHANGED', 'cookie was issued by another server instance');
    if (c.configGeneration !== currentConfigGeneration)
      throw new AppError('PB_ERR_CONFIG_CHANGED', 'configuration changed since the cookie was issued');
    return {
      clientId: c.clientId,
      groupIds: c.groupIds,
      issuedAtMs: c.issuedAtMs,
      expiresAtMs: c.expiresAtMs,
      configGeneration: c.configGeneration,
      position: unpackSyncPosition(c.syncAnchor),
    };
  }
}
