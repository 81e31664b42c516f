import { randomBytes, timingSafeEqual } from 'node:crypto';
import { AppError } from '../errors.js';
import type { AdminSessionRepository } from '../storage/index.js';
import { hashToken, type AuthenticatedToken, type TokenService } from './token-service.js';

/** A console session as the console sees it: who, which roles, the CSRF token for changes, and the expiry. */
export interface SessionView {
  readonly name: string;
  readonly roles: readonly string[];
  readonly csrfToken: string;
  readonly expiresAt: number;
}

/** How long a console session lasts (a working day); sign in again afterwards. */
export const sessionLifetimeMs = 8 * 3_600_000;

const sessionPattern = /^[A-Za-z0-9_-]{43}$/;

/**
 * Web console sessions (docs/console.md "Sign-in"): an API token is exchanged once for a random session id
 * (the cookie) and a CSRF token. Sessions live in the database, so every node accepts them; a session never
 * outlives its token (revoked or expired) nor `sessionLifetimeMs`.
 */
export class SessionService {
  constructor(
    private readonly repo: AdminSessionRepository,
    private readonly tokens: TokenService,
    private readonly lifetimeMs = sessionLifetimeMs,
  ) {}

  async signIn(token: string, now = Date.now()): Promise<{ sessionId: string; view: SessionView }> {
    const t = await this.tokens.authenticate(`Bearer ${token}`, now);
    const sessionId = randomBytes(32).toString('base64url');
    const csrfToken = randomBytes(32).toString('base64url');
    const expiresAt = now + this.lifetimeMs;
    // Expired rows are dropped here, so the table stays as small as the number of live sessions.
    await this.repo.deleteExpired(now);
    await this.repo.create({
      sessionHash: hashToken(sessionId),
      tokenId: t.tokenId,
      csrfToken,
      createdAt: now,
      expiresAt,
    });
    return { sessionId, view: { name: t.name, roles: t.roles, csrfToken, expiresAt } };
  }

  /** The live session behind a cookie value, or PB_ERR_UNAUTHENTICATED. */
  async authenticate(
    sessionId: string,
    now = Date.now(),
  ): Promise<{ token: AuthenticatedToken; view: SessionView }> {
    const s = sessionPattern.test(sessionId)
      ? await this.repo.findActive(hashToken(sessionId), now)
      : undefined;
    if (s === undefined)
      throw new AppError(
        'PB_ERR_UNAUTHENTICATED',
        'the console session has expired or was ended: sign in again',
        {
          detail: { session: 'expired' },
        },
      );
    return {
      token: { tokenId: s.tokenId, name: s.tokenName, roles: s.roles },
      view: { name: s.tokenName, roles: s.roles, csrfToken: s.csrfToken, expiresAt: s.expiresAt },
    };
  }

  async signOut(sessionId: string): Promise<void> {
    if (sessionPattern.test(sessionId)) await this.repo.delete(hashToken(sessionId));
  }
}

/** Constant-time comparison of the CSRF header with the session's token. */
export function csrfMatches(sent: string | undefined, expected: string): boolean {
  if (sent === undefined) return false;
  const a = Buffer.from(sent);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
