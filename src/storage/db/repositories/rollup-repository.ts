import type { Executor } from '../transaction.js';
import { chunkRows } from '../transaction.js';

/**
 * The upstream role's reporting roll-up store (migration 0012, docs/upstream.md "Reporting roll-up"). Every
 * method takes the DIRECT downstream that called (`reportedBy`): a downstream only ever writes its own
 * subtree, and the caps count per direct downstream, so no downstream can grow us without limit or touch
 * another's rows. Directly managed clients (a `computers` row without a `rollup_computers` row) are never
 * overwritten by a roll-up.
 */
export interface RollupServerRow {
  readonly serverId: string;
  /** Already resolved: the zero GUID replaced by our own server id. */
  readonly parentServerId: string;
  readonly name: string | undefined;
  readonly version: string | undefined;
  readonly isReplica: boolean;
  readonly lastSyncAt: number | null;
  readonly lastRollupAt: number | null;
  readonly summary: Readonly<Record<string, number>> | undefined;
}

export interface RollupComputerRow {
  readonly computerId: string;
  readonly parentServerId: string;
  readonly lastSyncAt: number | null;
  readonly lastReportAt: number | null;
  readonly lastInventoryAt: number | null;
  /** Absent: the DSS sent no Details (allowed only for a computer we hold under the same parent). */
  readonly details: RollupComputerDetails | undefined;
}

export interface RollupStatusRow {
  readonly computerId: string;
  readonly rollupNumber: number;
  readonly isFullRollup: boolean;
  readonly effectiveLastDetectionAt: number | null;
  readonly states: readonly {
    readonly updateId: string;
    readonly state: number;
    readonly statusAt: number;
  }[];
}

export interface RollupOutcome {
  /** Rows written. */
  readonly stored: number;
  /** Entries dropped because the downstream reached its cap. */
  readonly overCap: number;
  /** Entries ignored (older than what we hold, another downstream's, or a directly managed client). */
  readonly ignored: number;
}

export class RollupRepository {
  constructor(private readonly db: Executor) {}

  /** The direct downstream a server belongs to: itself when registered, else the one that rolled it up. */
  async ownerOf(serverId: string): Promise<string | undefined> {
    const direct = await this.db
      .selectFrom('downstream_servers')
      .select('server_id')
      .where('server_id', '=', serverId)
      .executeTakeFirst();
    if (direct) return direct.server_id;
    const nested = await this.db
      .selectFrom('rollup_servers')
      .select('reported_by')
      .where('server_id', '=', serverId)
      .executeTakeFirst();
    return nested?.reported_by;
  }

  /** Server ids of `reportedBy`'s subtree (itself included): where its computers may sit. */
  async subtree(reportedBy: string): Promise<Set<string>> {
    const rows = await this.db
      .selectFrom('rollup_servers')
      .select('server_id')
      .where('reported_by', '=', reportedBy)
      .execute();
    return new Set([reportedBy, ...rows.map((r) => r.server_id)]);
  }

  /**
   * RollupDownstreamServers, entries in request order (parents first). The caller checked each parent is
   * us, the reporter or an earlier/stored server of its subtree. A stored server is replaced only when the
   * incoming LastRollupTime is not older (SPEC 3.1.4.14).
   */
  async recordServers(
    reportedBy: string,
    servers: readonly RollupServerRow[],
    maxServers: number,
    now: number,
  ): Promise<RollupOutcome> {
    let stored = 0;
    let overCap = 0;
    let ignored = 0;
    let count = Number(
      (
        await this.db
          .selectFrom('rollup_servers')
          .select((eb) => eb.fn.countAll().as('n'))
          .where('reported_by', '=', reportedBy)
          .executeTakeFirstOrThrow()
      ).n,
    );
    for (const s of servers) {
      const values = {
        reported_by: reportedBy,
        parent_server_id: s.parentServerId,
        name: s.name?.slice(0, 255) ?? null,
        version: s.version ?? null,
        is_replica: s.isReplica ? 1 : 0,
        last_sync_at: s.lastSyncAt,
        last_rollup_at: s.lastRollupAt,
        summary: s.summary === undefined ? null : JSON.stringify(s.summary),
        received_at: now,
      };
      const existing = await this.db
        .selectFrom('rollup_servers')
        .select(['reported_by', 'last_rollup_at'])
        .where('server_id', '=', s.serverId)
        .executeTakeFirst();
      if (existing) {
        if ((existing.last_rollup_at ?? 0) > (s.lastRollupAt ?? 0)) {
          ignored++;
          continue;
        }
        if (existing.reported_by !== reportedBy) {
          if (count >= maxServers) {
            overCap++;
            continue;
          }
          count++;
        }
        await this.db.updateTable('rollup_servers').set(values).where('server_id', '=', s.serverId).execute();
        stored++;
        continue;
      }
      if (count >= maxServers) {
        overCap++;
        continue;
      }
      await this.db
        .insertInto('rollup_servers')
        .values({ server_id: s.serverId, ...values })
        .execute();
      count++;
      stored++;
    }
    await this.touch(reportedBy, now);
    return { stored, overCap, ignored };
  }

  /**
   * RollupComputers: returns the ids to answer `NewParent` for (new, or moved to another parent, and sent
   * without Details: the DSS resends them with Details). The caller checked every parent is in the subtree.
   */
  async recordComputers(
    reportedBy: string,
    computers: readonly RollupComputerRow[],
    maxComputers: number,
    now: number,
  ): Promise<RollupOutcome & { readonly newParent: string[] }> {
    let stored = 0;
    let overCap = 0;
    let ignored = 0;
    const newParent: string[] = [];
    let count = await this.ownedCount(reportedBy);
    for (const c of computers) {
      const id = c.computerId.toLowerCase();
      const row = await this.db
        .selectFrom('computers as c')
        .leftJoin('rollup_computers as rc', 'rc.computer_id', 'c.computer_id')
        .select(['c.downstream_server_id', 'c.last_sync_at', 'rc.reported_by'])
        .where('c.computer_id', '=', id)
        .executeTakeFirst();
      if (row && row.reported_by === null) {
        ignored++; // a client that talks to us directly: its own reports win
        continue;
      }
      if (row && (row.last_sync_at ?? 0) > (c.lastSyncAt ?? 0)) {
        ignored++;
        continue;
      }
      const moved = row !== undefined && row.downstream_server_id !== c.parentServerId;
      if (c.details === undefined && (row === undefined || moved)) {
        newParent.push(c.computerId);
        continue;
      }
      const takesSlot = row === undefined || row.reported_by !== reportedBy;
      if (takesSlot && count >= maxComputers) {
        overCap++;
        continue;
      }
      const fields = {
        downstream_server_id: c.parentServerId,
        last_sync_at: c.lastSyncAt,
        last_report_at: c.lastReportAt,
        last_inventory_at: c.lastInventoryAt,
        updated_at: now,
        ...(c.details === undefined
          ? {}
          : {
              dns_name: c.details.dnsName,
              ip_address: c.details.ipAddress,
              os_major: c.details.osMajor,
              os_minor: c.details.osMinor,
              os_build: c.details.osBuild,
              os_service_pack_major: c.details.osServicePackMajor,
              os_service_pack_minor: c.details.osServicePackMinor,
              os_locale: c.details.osLocale,
              os_description: c.details.osDescription,
              computer_make: c.details.computerMake,
              computer_model: c.details.computerModel,
              bios_version: c.details.biosVersion,
              client_version: c.details.clientVersion,
              processor_architecture: c.details.processorArchitecture,
            }),
      };
      if (row === undefined) {
        await this.db
          .insertInto('computers')
          .values({ computer_id: id, registered_at: now, ...fields })
          .execute();
        await this.db
          .insertInto('rollup_computers')
          .values({ computer_id: id, reported_by: reportedBy, rollup_number: 0, last_rollup_at: now })
          // A row left behind by `computers remove` (which knows nothing of roll-up) is reset.
          .onConflict((oc) =>
            oc
              .column('computer_id')
              .doUpdateSet({ reported_by: reportedBy, rollup_number: 0, last_rollup_at: now }),
          )
          .execute();
      } else {
        await this.db.updateTable('computers').set(fields).where('computer_id', '=', id).execute();
        await this.db
          .updateTable('rollup_computers')
          .set({ reported_by: reportedBy, last_rollup_at: now })
          .where('computer_id', '=', id)
          .execute();
      }
      if (takesSlot) count++;
      stored++;
    }
    await this.touch(reportedBy, now);
    return { stored, overCap, ignored, newParent };
  }

  /** GetOutOfSyncComputers: the ids we hold for `reportedBy` whose last received roll-up number differs. */
  async outOfSync(
    reportedBy: string,
    numbers: readonly { readonly computerId: string; readonly rollupNumber: number }[],
  ): Promise<string[]> {
    const out: string[] = [];
    for (const chunk of chunkRows(numbers, 1, 2000)) {
      const held = new Map(
        (
          await this.db
            .selectFrom('rollup_computers')
            .select(['computer_id', 'rollup_number'])
            .where('reported_by', '=', reportedBy)
            .where(
              'computer_id',
              'in',
              chunk.map((n) => n.computerId.toLowerCase()),
            )
            .execute()
        ).map((r) => [r.computer_id, Number(r.rollup_number)]),
      );
      for (const n of chunk) {
        const have = held.get(n.computerId.toLowerCase());
        if (have !== undefined && have !== n.rollupNumber) out.push(n.computerId);
      }
    }
    return out;
  }

  /**
   * RollupComputerStatus for `reportedBy`'s computers (others, and unknown ids, are ignored as the SPEC says).
   * Only states of updates this server knows are kept: a computer can never hold more rows than the catalog
   * has updates, whatever a downstream sends. A full roll-up replaces the computer's states.
   */
  async recordStatus(
    reportedBy: string,
    rows: readonly RollupStatusRow[],
    now: number,
  ): Promise<RollupOutcome> {
    let stored = 0;
    let ignored = 0;
    const ids = [...new Set(rows.map((r) => r.computerId.toLowerCase()))];
    const owned = new Set<string>();
    for (const chunk of chunkRows(ids, 1, 2000))
      for (const r of await this.db
        .selectFrom('rollup_computers')
        .select('computer_id')
        .where('reported_by', '=', reportedBy)
        .where('computer_id', 'in', chunk)
        .execute())
        owned.add(r.computer_id);
    const updateIds = [...new Set(rows.flatMap((r) => r.states.map((s) => s.updateId.toLowerCase())))];
    const known = new Set<string>();
    for (const chunk of chunkRows(updateIds, 1, 2000))
      for (const r of await this.db
        .selectFrom('revisions')
        .select('update_id')
        .distinct()
        .where('update_id', 'in', chunk)
        .execute())
        known.add(r.update_id);
    for (const r of rows) {
      const id = r.computerId.toLowerCase();
      if (!owned.has(id)) {
        ignored++;
        continue;
      }
      await this.db
        .updateTable('rollup_computers')
        .set({ rollup_number: r.rollupNumber, last_rollup_at: now })
        .where('computer_id', '=', id)
        .execute();
      await this.db
        .updateTable('computers')
        .set({ last_report_at: r.effectiveLastDetectionAt ?? now, updated_at: now })
        .where('computer_id', '=', id)
        .execute();
      if (r.isFullRollup) await this.db.deleteFrom('update_status').where('computer_id', '=', id).execute();
      const states = [
        ...new Map(
          r.states
            .filter((s) => known.has(s.updateId.toLowerCase()))
            .map((s) => [s.updateId.toLowerCase(), s]),
        ).values(),
      ].map((s) => ({
        computer_id: id,
        update_id: s.updateId.toLowerCase(),
        revision_id: null,
        state: s.state,
        hresult: null,
        status_at: s.statusAt,
        updated_at: now,
      }));
      for (const chunk of chunkRows(states, 7))
        await this.db
          .insertInto('update_status')
          .values(chunk)
          .onConflict((oc) =>
            oc
              .columns(['computer_id', 'update_id'])
              .doUpdateSet((eb) => ({
                state: eb.ref('excluded.state'),
                status_at: eb.ref('excluded.status_at'),
                updated_at: eb.ref('excluded.updated_at'),
              }))
              .where('update_status.status_at', '<=', (eb) => eb.ref('excluded.status_at')),
          )
          .execute();
      stored++;
    }
    await this.touch(reportedBy, now);
    return { stored, overCap: 0, ignored };
  }

  /** Rolled-up computers a direct downstream holds here. */
  async ownedCount(reportedBy: string): Promise<number> {
    const r = await this.db
      .selectFrom('rollup_computers')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('reported_by', '=', reportedBy)
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }

  /** The downstream's last roll-up time and its computer count (shown by `patchbay downstreams`). */
  private async touch(reportedBy: string, now: number): Promise<void> {
    const computers = await this.ownedCount(reportedBy);
    await this.db
      .updateTable('downstream_servers')
      .set({ last_rollup_at: now, computers })
      .where('server_id', '=', reportedBy)
      .execute();
  }

  /** `downstreams remove`: everything a downstream rolled up goes with it. */
  async removeReportedBy(reportedBy: string): Promise<void> {
    const owned = this.db
      .selectFrom('rollup_computers')
      .select('computer_id')
      .where('reported_by', '=', reportedBy);
    await this.db.deleteFrom('update_status').where('computer_id', 'in', owned).execute();
    await this.db.deleteFrom('group_memberships').where('computer_id', 'in', owned).execute();
    await this.db.deleteFrom('computers').where('computer_id', 'in', owned).execute();
    await this.db.deleteFrom('rollup_computers').where('reported_by', '=', reportedBy).execute();
    await this.db.deleteFrom('rollup_servers').where('reported_by', '=', reportedBy).execute();
  }

  /** The servers rolled up to us (all direct downstreams' subtrees, their own entries included). */
  async reportedServers() {
    const rows = await this.db
      .selectFrom('rollup_servers')
      .selectAll()
      .orderBy('received_at')
      .orderBy('server_id')
      .execute();
    return rows.map((r) => ({
      serverId: r.server_id,
      reportedBy: r.reported_by,
      parentServerId: r.parent_server_id,
      name: r.name,
      version: r.version,
      isReplica: r.is_replica === 1,
      lastSyncAt: r.last_sync_at === null ? null : Number(r.last_sync_at),
      lastRollupAt: r.last_rollup_at === null ? null : Number(r.last_rollup_at),
      summary: r.summary === null ? null : (JSON.parse(r.summary) as Record<string, number>),
    }));
  }
}

/** What a roll-up carries about one computer (its Details): the same fields both roles read and write. */
export interface RollupComputerDetails {
  readonly dnsName: string | null;
  readonly ipAddress: string | null;
  readonly osMajor: number | null;
  readonly osMinor: number | null;
  readonly osBuild: number | null;
  readonly osServicePackMajor: number | null;
  readonly osServicePackMinor: number | null;
  readonly osLocale: string | null;
  readonly osDescription: string | null;
  readonly computerMake: string | null;
  readonly computerModel: string | null;
  readonly biosVersion: string | null;
  readonly clientVersion: string | null;
  readonly processorArchitecture: string | null;
}
