import { randomBytes } from 'node:crypto';
import type { Selectable } from 'kysely';
import { AppError } from '../../../errors.js';
import type { CookieKeysTable } from '../database.js';
import type { Executor } from '../transaction.js';

export interface CookieKeyRecord {
  readonly keyId: number;
  /** 32 bytes. */
  readonly secret: Buffer;
  readonly createdAt: number;
  readonly retiredAt: number | null;
}

export const cookieKeyLength = 32;

/**
 * Cookie MAC/encryption keys, kept in the database so restarts (and other nodes) accept existing
 * cookies. The newest unretired key signs; retired keys still verify until the caller deletes them.
 */
export class CookieKeyRepository {
  constructor(private readonly db: Executor) {}

  async create(now = Date.now(), secret: Buffer = randomBytes(cookieKeyLength)): Promise<CookieKeyRecord> {
    if (secret.length !== cookieKeyLength)
      throw new AppError('PB_ERR_INVALID_PARAMETER', 'cookie key must be 32 bytes');
    const row = await this.db
      .insertInto('cookie_keys')
      .values({ secret, created_at: now, retired_at: null })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toRecord(row);
  }

  /** The signing key: the newest one not retired. */
  async active(): Promise<CookieKeyRecord | undefined> {
    const row = await this.db
      .selectFrom('cookie_keys')
      .selectAll()
      .where('retired_at', 'is', null)
      .orderBy('key_id', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row && toRecord(row);
  }

  async byId(keyId: number): Promise<CookieKeyRecord | undefined> {
    const row = await this.db
      .selectFrom('cookie_keys')
      .selectAll()
      .where('key_id', '=', keyId)
      .executeTakeFirst();
    return row && toRecord(row);
  }

  async retire(keyId: number, now = Date.now()): Promise<void> {
    await this.db
      .updateTable('cookie_keys')
      .set({ retired_at: now })
      .where('key_id', '=', keyId)
      .where('retired_at', 'is', null)
      .execute();
  }

  /** Deletes keys retired before `before` (cookies signed with them have all expired). */
  async deleteRetiredBefore(before: number): Promise<number> {
    const r = await this.db.deleteFrom('cookie_keys').where('retired_at', '<', before).executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  async list(): Promise<CookieKeyRecord[]> {
    const rows = await this.db.selectFrom('cookie_keys').selectAll().orderBy('key_id').execute();
    return rows.map(toRecord);
  }
}

function toRecord(r: Selectable<CookieKeysTable>): CookieKeyRecord {
  return { keyId: r.key_id, secret: r.secret, createdAt: r.created_at, retiredAt: r.retired_at };
}
