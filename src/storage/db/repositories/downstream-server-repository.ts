import { sql } from 'kysely';
import type { DownstreamServersTable } from '../database.js';
import type { Executor } from '../transaction.js';
import { RollupRepository } from './rollup-repository.js';

/** A downstream server as the registry holds it (docs/upstream.md, `patchbay downstreams`). */
export interface DownstreamServer {
  /** The DSS's accountGuid, lower case. */
  readonly serverId: string;
  /** The accountName it sent in GetAuthorizationCookie (its FQDN). */
  readonly name: string;
  readonly address: string | null;
  /** The HTTP User-Agent of its last authorization (the only product version the protocol carries). */
  readonly userAgent: string | null;
  /** The `protocolVersion` it announced in GetCookie. */
  readonly protocolVersion: string | null;
  readonly firstSeenAt: number;
  readonly lastAuthAt: number;
  /** Its last GetRevisionIdList or GetUpdateData. */
  readonly lastSyncAt: number | null;
  readonly syncCalls: number;
  /** Computers it rolled up (its whole subtree), as of its last roll-up. */
  readonly computers: number;
  /** Its last reporting roll-up call, null before the first. */
  readonly lastRollupAt: number | null;
}

export interface DownstreamAuth {
  readonly serverId: string;
  readonly name: string;
  readonly address: string | undefined;
  readonly userAgent: string | undefined;
  readonly at: number;
}

// Stored text is capped: the values come from an anonymous request.
const cap = (s: string | undefined, n: number) => (s === undefined ? null : s.slice(0, n));

export class DownstreamServerRepository {
  constructor(private readonly db: Executor) {}

  /**
   * Records an authorization: updates a known server, or inserts a new one only while fewer than `maxRows`
   * exist (one statement, so the count and the insert see the same table). Returns false, changing nothing,
   * when the registry is full. Concurrent first authorizations of different new ids may each pass the count
   * (PostgreSQL, read committed): the overshoot is bounded by the concurrency, never by the flood.
   */
  async recordAuth(a: DownstreamAuth, maxRows: number): Promise<boolean> {
    const fields = {
      name: a.name.slice(0, 255),
      address: cap(a.address, 64),
      user_agent: cap(a.userAgent, 256),
      last_auth_at: a.at,
    };
    const updated = await this.db
      .updateTable('downstream_servers')
      .set(fields)
      .where('server_id', '=', a.serverId)
      .executeTakeFirst();
    if (Number(updated.numUpdatedRows) > 0) return true;
    const inserted = await this.db
      .insertInto('downstream_servers')
      .columns(['server_id', 'name', 'address', 'user_agent', 'last_auth_at', 'first_seen_at'])
      // Casts give PostgreSQL the column types of the bare parameters (it would read them as text).
      .expression(
        sql`select ${a.serverId}, ${fields.name}, cast(${fields.address} as text), cast(${fields.user_agent} as text),
          cast(${a.at} as bigint), cast(${a.at} as bigint)
          where (select count(*) from downstream_servers) < ${maxRows}`,
      )
      .onConflict((oc) => oc.column('server_id').doUpdateSet(fields))
      .executeTakeFirst();
    return Number(inserted.numInsertedOrUpdatedRows ?? 0n) > 0;
  }

  /** GetCookie: the protocol version the server announced. */
  async recordSession(serverId: string, protocolVersion: string, at: number): Promise<void> {
    await this.db
      .updateTable('downstream_servers')
      .set({ protocol_version: protocolVersion.slice(0, 16), last_auth_at: at })
      .where('server_id', '=', serverId)
      .execute();
  }

  /** GetRevisionIdList / GetUpdateData: the last sync time and the call count. */
  async recordSync(serverId: string, at: number): Promise<void> {
    await this.db
      .updateTable('downstream_servers')
      .set((eb) => ({ last_sync_at: at, sync_calls: eb('sync_calls', '+', 1) }))
      .where('server_id', '=', serverId)
      .execute();
  }

  async get(serverId: string): Promise<DownstreamServer | undefined> {
    const row = await this.db
      .selectFrom('downstream_servers')
      .selectAll()
      .where('server_id', '=', serverId)
      .executeTakeFirst();
    return row && toServer(row);
  }

  /** Every registered server (bounded by max_downstreams), by name then id. */
  async list(): Promise<DownstreamServer[]> {
    const rows = await this.db
      .selectFrom('downstream_servers')
      .selectAll()
      .orderBy('name')
      .orderBy('server_id')
      .execute();
    return rows.map(toServer);
  }

  /** Removes the server and everything it rolled up (its servers, computers and their states). */
  async remove(serverId: string): Promise<boolean> {
    await new RollupRepository(this.db).removeReportedBy(serverId);
    const r = await this.db
      .deleteFrom('downstream_servers')
      .where('server_id', '=', serverId)
      .executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }
}

function toServer(r: {
  [K in keyof DownstreamServersTable]: DownstreamServersTable[K] extends { __select__: infer S }
    ? S
    : DownstreamServersTable[K];
}): DownstreamServer {
  return {
    serverId: r.server_id,
    name: r.name,
    address: r.address,
    userAgent: r.user_agent,
    protocolVersion: r.protocol_version,
    firstSeenAt: Number(r.first_seen_at),
    lastAuthAt: Number(r.last_auth_at),
    lastSyncAt: r.last_sync_at === null ? null : Number(r.last_sync_at),
    syncCalls: Number(r.sync_calls),
    computers: Number(r.computers),
    lastRollupAt: r.last_rollup_at === null ? null : Number(r.last_rollup_at),
  };
}
