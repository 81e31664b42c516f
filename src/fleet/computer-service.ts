import {
  applyClientTargeting,
  type ClientTargetingResult,
  type ClientTargetingStores,
} from './client-targeting.js';
import type { ComputerUpsert, FleetStores } from './fleet-ports.js';

/** Inventory a client reports in RegisterComputer, in domain terms. */
export type ComputerInventory = Omit<ComputerUpsert, 'computerId'>;

/**
 * Computers and their group memberships as the client web service sees them: enrolment at
 * GetAuthorizationCookie (with client-side targeting), inventory at RegisterComputer, last-sync times.
 */
export class ComputerService {
  constructor(
    private readonly stores: Pick<FleetStores, 'computers' | 'groups'> &
      Pick<ClientTargetingStores, 'settings'>,
  ) {}

  /**
   * A client asked for an authorization cookie: the computer row exists from now on, and the client-side
   * targeting rule (applyClientTargeting, shared with GroupsService) decides what its requested group names
   * do: memberships in client-side mode, nothing in server-side mode. Returns the names that matched no
   * group (for the log) and the rule's outcome.
   */
  async enrol(
    computerId: string,
    info: { dnsName: string; ipAddress: string | undefined; targetGroupNames: readonly string[] },
    now: number = Date.now(),
  ): Promise<{ unknownGroupNames: string[]; targeting: ClientTargetingResult }> {
    await this.stores.computers.upsert(
      {
        computerId,
        ...(info.dnsName !== '' ? { dnsName: info.dnsName } : {}),
        ...(info.ipAddress !== undefined ? { ipAddress: info.ipAddress } : {}),
      },
      now,
    );
    const targeting = await applyClientTargeting(this.stores, computerId, info.targetGroupNames, now);
    return { unknownGroupNames: targeting.unknownNames, targeting };
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
