import type { RollupComputerDetails } from './rollup-repository.js';
import type { Executor } from '../transaction.js';
import { chunkRows } from '../transaction.js';

/** A computer as the downstream role rolls it up: its row, what was last sent, when its states last changed. */
export interface OutboxComputer extends RollupComputerDetails {
  readonly computerId: string;
  /** null: a client of ours; else the downstream server it talks to (rolled up to us). */
  readonly downstreamServerId: string | null;
  readonly lastSyncAt: number | null;
  readonly lastReportAt: number | null;
  readonly lastInventoryAt: number | null;
  readonly updatedAt: number;
  /** Latest `update_status.updated_at` of the computer, null without states. */
  readonly statesChangedAt: number | null;
  /** From the outbox: 0 and null when never sent. */
  readonly sentRollupNumber: number;
  readonly sentAt: number | null;
}

/**
 * The downstream role's roll-up bookkeeping (migration 0012): per computer, the roll-up number last sent to
 * our upstream and when, so each roll-up sends only computers and states that changed since.
 */
export class RollupOutboxRepository {
  constructor(private readonly db: Executor) {}

  /** Computers after `afterId` in id order, `limit` at a time (keyset paging: memory stays bounded). */
  async page(afterId: string, limit: number): Promise<OutboxComputer[]> {
    const rows = await this.db
      .selectFrom('computers as c')
      .leftJoin('rollup_outbox as o', 'o.computer_id', 'c.computer_id')
      .select((eb) => [
        'c.computer_id',
        'c.downstream_server_id',
        'c.dns_name',
        'c.ip_address',
        'c.os_major',
        'c.os_minor',
        'c.os_build',
        'c.os_service_pack_major',
        'c.os_service_pack_minor',
        'c.os_locale',
        'c.os_description',
        'c.computer_make',
        'c.computer_model',
        'c.bios_version',
        'c.client_version',
        'c.processor_architecture',
        'c.last_sync_at',
        'c.last_report_at',
        'c.last_inventory_at',
        'c.updated_at',
        'o.rollup_number',
        'o.sent_at',
        eb
          .selectFrom('update_status as s')
          .select((e2) => e2.fn.max('s.updated_at').as('m'))
          .whereRef('s.computer_id', '=', 'c.computer_id')
          .as('states_changed_at'),
      ])
      .where('c.computer_id', '>', afterId)
      .orderBy('c.computer_id')
      .limit(limit)
      .execute();
    const n = (v: unknown) => (v === null || v === undefined ? null : Number(v));
    return rows.map((r) => ({
      computerId: r.computer_id,
      downstreamServerId: r.downstream_server_id,
      dnsName: r.dns_name,
      ipAddress: r.ip_address,
      osMajor: r.os_major,
      osMinor: r.os_minor,
      osBuild: r.os_build,
      osServicePackMajor: r.os_service_pack_major,
      osServicePackMinor: r.os_service_pack_minor,
      osLocale: r.os_locale,
      osDescription: r.os_description,
      computerMake: r.computer_make,
      computerModel: r.computer_model,
      biosVersion: r.bios_version,
      clientVersion: r.client_version,
      processorArchitecture: r.processor_architecture,
      lastSyncAt: n(r.last_sync_at),
      lastReportAt: n(r.last_report_at),
      lastInventoryAt: n(r.last_inventory_at),
      updatedAt: Number(r.updated_at),
      statesChangedAt: n(r.states_changed_at),
      sentRollupNumber: n(r.rollup_number) ?? 0,
      sentAt: n(r.sent_at),
    }));
  }

  /** The stored states of these computers. */
  async states(
    computerIds: readonly string[],
  ): Promise<Map<string, { updateId: string; state: number; statusAt: number }[]>> {
    const out = new Map<string, { updateId: string; state: number; statusAt: number }[]>();
    for (const chunk of chunkRows(computerIds, 1, 1000)) {
      const rows = await this.db
        .selectFrom('update_status')
        .select(['computer_id', 'update_id', 'state', 'status_at'])
        .where('computer_id', 'in', chunk)
        .orderBy('computer_id')
        .orderBy('update_id')
        .execute();
      for (const r of rows) {
        let list = out.get(r.computer_id);
        if (list === undefined) out.set(r.computer_id, (list = []));
        list.push({ updateId: r.update_id, state: r.state, statusAt: Number(r.status_at) });
      }
    }
    return out;
  }

  /** After the upstream accepted a status batch: these numbers were sent at `at`. */
  async markSent(sent: readonly { computerId: string; rollupNumber: number }[], at: number): Promise<void> {
    for (const chunk of chunkRows(sent, 3))
      await this.db
        .insertInto('rollup_outbox')
        .values(chunk.map((s) => ({ computer_id: s.computerId, rollup_number: s.rollupNumber, sent_at: at })))
        .onConflict((oc) =>
          oc.column('computer_id').doUpdateSet((eb) => ({
            rollup_number: eb.ref('excluded.rollup_number'),
            sent_at: eb.ref('excluded.sent_at'),
          })),
        )
        .execute();
  }

  /** A new upstream (another RollupResetGuid): everything is sent again. */
  async clear(): Promise<void> {
    await this.db.deleteFrom('rollup_outbox').execute();
  }
}
