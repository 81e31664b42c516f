import type { Executor } from '../transaction.js';

export interface AdminSessionRecord {
  readonly tokenId: number;
  readonly tokenName: string;
  readonly roles: string[];
  readonly csrfToken: string;
  readonly expiresAt: number;
}

/** Web console sessions (migration 0019); keyed by the SHA-256 of the cookie value. */
export class AdminSessionRepository {
  constructor(private readonly db: Executor) {}

  async create(input: {
    sessionHash: Buffer;
    tokenId: number;
    csrfToken: string;
    createdAt: number;
    expiresAt: number;
  }): Promise<void> {
    await this.db
      .insertInto('admin_sessions')
      .values({
        session_hash: input.sessionHash,
        token_id: input.tokenId,
        csrf_token: input.csrfToken,
        created_at: input.createdAt,
        expires_at: input.expiresAt,
      })
      .execute();
  }

  /** A live session: not expired, and its token neither revoked nor expired (revoking a token ends its sessions). */
  async findActive(sessionHash: Buffer, now: number): Promise<AdminSessionRecord | undefined> {
    const row = await this.db
      .selectFrom('admin_sessions as s')
      .innerJoin('api_tokens as t', 't.token_id', 's.token_id')
      .select(['s.token_id', 's.csrf_token', 's.expires_at', 't.name', 't.roles'])
      .where('s.session_hash', '=', sessionHash)
      .where('s.expires_at', '>', now)
      .where('t.revoked_at', 'is', null)
      .where((eb) => eb.or([eb('t.expires_at', 'is', null), eb('t.expires_at', '>', now)]))
      .executeTakeFirst();
    if (row === undefined) return undefined;
    const roles = JSON.parse(row.roles) as unknown;
    return {
      tokenId: row.token_id,
      tokenName: row.name,
      roles: Array.isArray(roles) ? roles.filter((x): x is string => typeof x === 'string') : [],
      csrfToken: row.csrf_token,
      expiresAt: Number(row.expires_at),
    };
  }

  async delete(sessionHash: Buffer): Promise<void> {
    await this.db.deleteFrom('admin_sessions').where('session_hash', '=', sessionHash).execute();
  }

  /** Drops expired sessions; returns how many. */
  async deleteExpired(now: number): Promise<number> {
    const r = await this.db.deleteFrom('admin_sessions').where('expires_at', '<=', now).executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}
