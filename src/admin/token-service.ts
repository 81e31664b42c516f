import { createHash, randomBytes } from 'node:crypto';
import { AppError } from '../errors.js';
import { actorText, type AdminActor } from '../fleet/index.js';
import { requireName } from '../fleet/index.js';
import type { AdminStore } from '../fleet/index.js';
import { isRole, roles, type Role } from './roles.js';

/** A token as listed: never the secret, never the hash. */
export interface TokenView {
  readonly tokenId: number;
  readonly name: string;
  readonly roles: string[];
  readonly createdBy: string | null;
  readonly createdAt: number;
  readonly expiresAt: number | null;
  readonly lastUsedAt: number | null;
  readonly revokedAt: number | null;
}

export interface AuthenticatedToken {
  readonly tokenId: number;
  readonly name: string;
  readonly roles: readonly string[];
}

/** `pb_` + 43 base64url characters (256 random bits). The prefix makes leaked tokens easy to grep for. */
const tokenPattern = /^pb_[A-Za-z0-9_-]{43}$/;

export function hashToken(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/**
 * REST API tokens: 256 random bits, shown once at creation, stored as SHA-256 only (a fast hash is enough for
 * a full-entropy secret: there is nothing to brute-force). Lookups go by hash, so no timing-sensitive compare.
 */
export class TokenService {
  constructor(private readonly store: AdminStore) {}

  async create(
    input: { name: string; role: string; expiresInDays?: number },
    actor: AdminActor,
    now = Date.now(),
  ): Promise<{ token: string; record: TokenView }> {
    const name = requireName(input.name, 'name');
    if (!isRole(input.role))
      throw new AppError('PB_ERR_INVALID_PARAMETER', `role must be one of ${roles.join(', ')}`, {
        detail: { parameter: 'role' },
      });
    const role: Role = input.role;
    let expiresAt: number | null = null;
    if (input.expiresInDays !== undefined) {
      if (!Number.isInteger(input.expiresInDays) || input.expiresInDays < 1 || input.expiresInDays > 3650)
        throw new AppError('PB_ERR_INVALID_PARAMETER', 'expires-in-days must be an integer from 1 to 3650', {
          detail: { parameter: 'expiresInDays' },
        });
      expiresAt = now + input.expiresInDays * 86_400_000;
    }
    const token = `pb_${randomBytes(32).toString('base64url')}`;
    const record = await this.store.transaction(async (r) => {
      const active = (await r.apiTokens.list()).find((t) => t.revokedAt === null && t.name === name);
      if (active !== undefined) throw new AppError('PB_ERR_CONFLICT', `an active token named ${name} exists`);
      const rec = await r.apiTokens.create(
        { name, tokenHash: hashToken(token), roles: [role], createdBy: actorText(actor), expiresAt },
        now,
      );
      await r.auditLog.append(
        {
          actor: actorText(actor),
          action: 'token.create',
          targetType: 'token',
          targetId: String(rec.tokenId),
          detail: { name, role, expiresAt },
        },
        now,
      );
      return rec;
    });
    return { token, record: toView(record) };
  }

  async list(): Promise<TokenView[]> {
    return (await this.store.repos.apiTokens.list()).map(toView);
  }

  /** Revokes by id or by name (the active token with that name). */
  async revoke(idOrName: string, actor: AdminActor, now = Date.now()): Promise<TokenView> {
    const all = await this.store.repos.apiTokens.list();
    const hit = /^[0-9]{1,10}$/.test(idOrName)
      ? all.find((t) => t.tokenId === Number(idOrName))
      : all.find((t) => t.name === idOrName && t.revokedAt === null);
    if (hit === undefined)
      throw new AppError('PB_ERR_NOT_FOUND', `token ${JSON.stringify(idOrName.slice(0, 80))} does not exist`);
    if (hit.revokedAt !== null) throw new AppError('PB_ERR_CONFLICT', `token ${hit.name} is already revoked`);
    await this.store.transaction(async (r) => {
      await r.apiTokens.revoke(hit.tokenId, now);
      await r.auditLog.append(
        {
          actor: actorText(actor),
          action: 'token.revoke',
          targetType: 'token',
          targetId: String(hit.tokenId),
          detail: { name: hit.name },
        },
        now,
      );
    });
    return { ...toView(hit), revokedAt: now };
  }

  /** The token behind an `Authorization: Bearer ...` value, or PB_ERR_UNAUTHENTICATED. */
  async authenticate(authorization: string | undefined, now = Date.now()): Promise<AuthenticatedToken> {
    if (authorization === undefined || authorization === '')
      throw new AppError('PB_ERR_UNAUTHENTICATED', 'send Authorization: Bearer <token>');
    const m = /^Bearer +(\S+)\s*$/i.exec(authorization.slice(0, 200));
    const token = m?.[1];
    if (token === undefined || !tokenPattern.test(token))
      throw new AppError(
        'PB_ERR_UNAUTHENTICATED',
        'the Authorization header does not carry a Patchbay token',
      );
    const rec = await this.store.repos.apiTokens.findActiveByHash(hashToken(token), now);
    if (rec === undefined) throw new AppError('PB_ERR_UNAUTHENTICATED', 'unknown, revoked or expired token');
    // last_used_at is informative; a lost update under concurrency is harmless.
    if (rec.lastUsedAt === null || now - rec.lastUsedAt > 60_000)
      await this.store.repos.apiTokens.touch(rec.tokenId, now);
    return { tokenId: rec.tokenId, name: rec.name, roles: rec.roles };
  }
}

function toView(t: {
  tokenId: number;
  name: string;
  roles: string[];
  createdBy: string | null;
  createdAt: number;
  expiresAt: number | null;
  lastUsedAt: number | null;
  revokedAt: number | null;
}): TokenView {
  return {
    tokenId: t.tokenId,
    name: t.name,
    roles: t.roles,
    createdBy: t.createdBy,
    createdAt: t.createdAt,
    expiresAt: t.expiresAt,
    lastUsedAt: t.lastUsedAt,
    revokedAt: t.revokedAt,
  };
}
