import type { Selectable } from 'kysely';
import type { ComputersTable } from '../database.js';
import type { Executor } from '../transaction.js';

/** Registration / inventory fields; omitted fields keep their stored value. */
export interface ComputerInput {
  readonly computerId: string;
  readonly dnsName?: string | null;
  readonly ipAddress?: string | null;
  readonly osMajor?: number | null;
  readonly osMinor?: number | null;
  readonly osBuild?: number | null;
  readonly osRevision?: number | null;
  readonly osServicePackMajor?: number | null;
  readonly osServicePackMinor?: number | null;
  readonly osLocale?: string | null;
  readonly osProductType?: number | null;
  readonly osDescription?: string | null;
  readonly computerMake?: string | null;
  readonly computerModel?: string | null;
  readonly biosVersion?: string | null;
  readonly firmwareVersion?: string | null;
  readonly clientVersion?: string | null;
  readonly processorArchitecture?: string | null;
  /** Extra inventory (serialised as JSON; the caller bounds its size). */
  readonly inventory?: unknown;
  readonly downstreamServerId?: string | null;
}

export type ComputerRecord = {
  readonly computerId: string;
  readonly registeredAt: number;
  readonly updatedAt: number;
  readonly lastSyncAt: number | null;
  readonly lastReportAt: number | null;
  readonly lastInventoryAt: number | null;
  readonly inventory: unknown;
} & Required<Omit<ComputerInput, 'computerId' | 'inventory'>>;

const columnOf = {
  dnsName: 'dns_name',
  ipAddress: 'ip_address',
  osMajor: 'os_major',
  osMinor: 'os_minor',
  osBuild: 'os_build',
  osRevision: 'os_revision',
  osServicePackMajor: 'os_service_pack_major',
  osServicePackMinor: 'os_service_pack_minor',
  osLocale: 'os_locale',
  osProductType: 'os_product_type',
  osDescription: 'os_description',
  computerMake: 'computer_make',
  computerModel: 'computer_model',
  biosVersion: 'bios_version',
  firmwareVersion: 'firmware_version',
  clientVersion: 'client_version',
  processorArchitecture: 'processor_architecture',
  downstreamServerId: 'downstream_server_id',
} as const satisfies Record<string, keyof ComputersTable>;

type Field = keyof typeof columnOf;

export class ComputerRepository {
  constructor(private readonly db: Executor) {}

  /** Insert or update from RegisterComputer / inventory. Returns true when the computer is new. */
  async upsert(input: ComputerInput, now = Date.now()): Promise<boolean> {
    const values: Partial<Record<keyof ComputersTable, unknown>> = {};
    for (const [field, column] of Object.entries(columnOf) as [Field, (typeof columnOf)[Field]][]) {
      const v = input[field];
      if (v !== undefined) values[column] = v;
    }
    if (input.inventory !== undefined) {
      values.inventory = input.inventory === null ? null : JSON.stringify(input.inventory);
      values.last_inventory_at = now;
    }
    const computerId = input.computerId.toLowerCase();
    const existing = await this.db
      .selectFrom('computers')
      .select('computer_id')
      .where('computer_id', '=', computerId)
      .executeTakeFirst();
    await this.db
      .insertInto('computers')
      .values({ ...values, computer_id: computerId, registered_at: now, updated_at: now } as never)
      .onConflict((oc) => oc.column('computer_id').doUpdateSet({ ...values, updated_at: now } as never))
      .execute();
    return existing === undefined;
  }

  /**
   * Computers first registered from `ipAddress` at or after `since` (the new-computers-per-address bound;
   * index computers_ip_registered). The address is the one last seen for each computer.
   */
  async countRegisteredFromSince(ipAddress: string, since: number): Promise<number> {
    const r = await this.db
      .selectFrom('computers')
      .select((eb) => eb.fn.countAll<string | number>().as('n'))
      .where('ip_address', '=', ipAddress)
      .where('registered_at', '>=', since)
      .executeTakeFirst();
    return Number(r?.n ?? 0);
  }

  async touchLastSync(computerId: string, now = Date.now()): Promise<void> {
    await this.db
      .updateTable('computers')
      .set({ last_sync_at: now })
      .where('computer_id', '=', computerId.toLowerCase())
      .execute();
  }

  async touchLastReport(computerId: string, now = Date.now()): Promise<void> {
    await this.db
      .updateTable('computers')
      .set({ last_report_at: now })
      .where('computer_id', '=', computerId.toLowerCase())
      .execute();
  }

  async get(computerId: string): Promise<ComputerRecord | undefined> {
    const row = await this.db
      .selectFrom('computers')
      .selectAll()
      .where('computer_id', '=', computerId.toLowerCase())
      .executeTakeFirst();
    return row && toRecord(row);
  }

  async list(page: { afterComputerId?: string; limit?: number } = {}): Promise<ComputerRecord[]> {
    const rows = await this.db
      .selectFrom('computers')
      .selectAll()
      .where('computer_id', '>', page.afterComputerId ?? '')
      .orderBy('computer_id')
      .limit(page.limit ?? 1000)
      .execute();
    return rows.map(toRecord);
  }

  async delete(computerId: string): Promise<boolean> {
    const r = await this.db
      .deleteFrom('computers')
      .where('computer_id', '=', computerId.toLowerCase())
      .executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }
}

function toRecord(r: Selectable<ComputersTable>): ComputerRecord {
  const out: Record<string, unknown> = {
    computerId: r.computer_id,
    registeredAt: r.registered_at,
    updatedAt: r.updated_at,
    lastSyncAt: r.last_sync_at,
    lastReportAt: r.last_report_at,
    lastInventoryAt: r.last_inventory_at,
    inventory: r.inventory === null ? null : (JSON.parse(r.inventory) as unknown),
  };
  for (const [field, column] of Object.entries(columnOf)) out[field] = r[column];
  return out as ComputerRecord;
}
