import type { Selectable } from 'kysely';
import type { ApiTokensTable } from '../database.js';
import type { Executor } from '../transaction.js';

export interface ApiTokenRecord {
  readonly tokenId: number;
  readonly name: string;
  readonly tokenHash: Buffer;
  readonly roles: string[];
  readonly createdBy: string | null;
  readonly createdAt: number;
  readonly expiresAt: number | null;
  readonly lastUsedAt: number | null;
  readonly revokedAt: number | null;
}

/** REST API tokens: only a hash of the secret is stored (the caller hashes, e.g. SHA-256). */
export class ApiTokenRepository {
  constructor(private readonly db: Executor) {}

  async create(
    input: {
      name: string;
      tokenHash: Buffer;
      roles: readonly string[];
      createdBy?: string;
      expiresAt?: number | null;
    },
    now = Date.now(),
  ): Promise<ApiTokenRecord> {
    const row = await this.db
      .insertInto('api_tokens')
      .values({
        name: input.name,
        token_hash: input.tokenHash,
        roles: JSON.stringify([...input.roles]),
        created_by: input.createdBy ?? null,
        created_at: now,
        expires_at: input.expiresAt ?? null,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toRecord(row);
  }

  /** A usable token by hash: not revoked and not expired at `now`. */
  async findActiveByHash(tokenHash: Buffer, now = Date.now()): Promise<ApiTokenRecord | undefined> {
    const row = await this.db
      .selectFrom('api_tokens')
      .selectAll()
      .where('token_hash', '=', tokenHash)
      .where('revoked_at', 'is', null)
      .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
      .executeTakeFirst();
    return row && toRecord(row);
  }

  async touch(tokenId: number, now = Date.now()): Promise<void> {
    await this.db
      .updateTable('api_tokens')
      .set({ last_used_at: now })
      .where('token_id', '=', tokenId)
      .execute();
  }

  async revoke(tokenId: number, now = Date.now()): Promise<boolean> {
    const r = await this.db
      .updateTable('api_tokens')
      .set({ revoked_at: now })
      .where('token_id', '=', tokenId)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  async list(): Promise<ApiTokenRecord[]> {
    const rows = await this.db.selectFrom('api_tokens').selectAll().orderBy('token_id').execute();
    return rows.map(toRecord);
  }
}

function toRecord(r: Selectable<ApiTokensTable>): ApiTokenRecord {
  const roles = JSON.parse(r.roles) as unknown;
  return {
    tokenId: r.token_id,
    name: r.name,
    tokenHash: r.token_hash,
    roles: Array.isArray(roles) ? roles.filter((x): x is string => typeof x === 'string') : [],
    createdBy: r.created_by,
    createdAt: r.created_at,
    expiresAt: r.expires_at,
    lastUsedAt: r.last_used_at,
    revokedAt: r.revoked_at,
  };
}
