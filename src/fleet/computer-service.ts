import type { ComputerUpsert, FleetStores } from './fleet-ports.js';

/** Inventory a client reports in RegisterComputer, in domain terms. */
export type ComputerInventory = Omit<ComputerUpsert, 'computerId'>;

/**
 * Computers and their group memberships as the client web service sees them: enrolment at
 * GetAuthorizationCookie (with client-side targeting), inventory at RegisterComputer, last-sync times.
 */
export class ComputerService {
  constructor(private readonly stores: Pick<FleetStores, 'computers' | 'groups'>) {}

  /**
   * A client asked for an authorization cookie: the computer row exists from now on, and its client-side
   * targeting memberships are replaced by the groups whose names it asked for (case-insensitive; unknown
   * names are ignored as WSUS does, so the computer lands in Unassigned Computers when nothing matches).
   * Returns the names that matched no group, for the log.
   */
  async enrol(
    computerId: string,
    info: { dnsName: string; ipAddress: string | undefined; targetGroupNames: readonly string[] },
    now: number = Date.now(),
  ): Promise<{ unknownGroupNames: string[] }> {
    await this.stores.computers.upsert(
      {
        computerId,
        ...(info.dnsName !== '' ? { dnsName: info.dnsName } : {}),
        ...(info.ipAddress !== undefined ? { ipAddress: info.ipAddress } : {}),
      },
      now,
    );
    const unknownGroupNames: string[] = [];
    const groupIds: string[] = [];
    if (info.targetGroupNames.length > 0) {
      const byName = new Map<string, string>();
      for (const g of await this.stores.groups.list()) byName.set(g.name.toLowerCase(), g.groupId);
      for (const name of info.targetGroupNames) {
        const id = byName.get(name.toLowerCase());
        if (id === undefined) unknownGroupNames.push(name);
        else groupIds.push(id);
      }
    }
    await this.stores.groups.setMemberships(computerId, groupIds, 'client', now);
    return { unknownGroupNames };
  }

  /** Group ids the computer is a member of (server-side and client-side), sorted. */
  async groupIdsOf(computerId: string): Promise<string[]> {
    const rows = await this.stores.groups.groupsOf(computerId);
    return [...new Set(rows.map((r) => r.groupId))].sort();
  }

  async register(computerId: string, inventory: ComputerInventory, now: number = Date.now()): Promise<void> {
    await this.stores.computers.upsert({ ...inventory, computerId }, now);
  }

  async touchLastSync(computerId: string, now: number = Date.now()): Promise<void> {
    await this.stores.computers.touchLastSync(computerId, now);
  }
}
