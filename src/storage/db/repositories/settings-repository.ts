import { randomUUID } from 'node:crypto';
import type { Executor } from '../transaction.js';

const instanceIdKey = 'server.instanceId';

/** Key/value settings (JSON values), plus the server instance id clients see in cookies. */
export class SettingsRepository {
  constructor(private readonly db: Executor) {}

  async get<T = unknown>(key: string): Promise<T | undefined> {
    const r = await this.db.selectFrom('settings').select('value').where('key', '=', key).executeTakeFirst();
    return r === undefined ? undefined : (JSON.parse(r.value) as T);
  }

  async set(key: string, value: unknown, updatedBy: string | null = null, now = Date.now()): Promise<void> {
    const text = JSON.stringify(value);
    await this.db
      .insertInto('settings')
      .values({ key, value: text, updated_at: now, updated_by: updatedBy })
      .onConflict((oc) =>
        oc.column('key').doUpdateSet({ value: text, updated_at: now, updated_by: updatedBy }),
      )
      .execute();
  }

  /** The value of `key`, storing `initial` first when absent (first writer wins, also across nodes). */
  async getOrCreate<T>(key: string, initial: T, now = Date.now()): Promise<T> {
    await this.db
      .insertInto('settings')
      .values({ key, value: JSON.stringify(initial), updated_at: now, updated_by: 'system' })
      .onConflict((oc) => oc.column('key').doNothing())
      .execute();
    return (await this.get<T>(key)) as T;
  }

  async delete(key: string): Promise<boolean> {
    const r = await this.db.deleteFrom('settings').where('key', '=', key).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  async all(): Promise<Record<string, unknown>> {
    const rows = await this.db.selectFrom('settings').select(['key', 'value']).orderBy('key').execute();
    const out: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
    for (const r of rows) out[r.key] = JSON.parse(r.value) as unknown;
    return out;
  }

  /**
   * The server instance id, created once (first caller wins, also across nodes). Change it only when
   * revision ids were renumbered (restore/rebuild), so clients get ServerChanged.
   */
  async getOrCreateInstanceId(now = Date.now()): Promise<string> {
    await this.db
      .insertInto('settings')
      .values({
        key: instanceIdKey,
        value: JSON.stringify(randomUUID()),
        updated_at: now,
        updated_by: 'system',
      })
      .onConflict((oc) => oc.column('key').doNothing())
      .execute();
    return (await this.get<string>(instanceIdKey)) as string;
  }
}
