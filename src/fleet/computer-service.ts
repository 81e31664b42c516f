import {
  applyClientTargeting,
  type ClientTargetingResult,
  type ClientTargetingStores,
} from './client-targeting.js';
import { AppError } from '../errors.js';
import type { ComputerUpsert, FleetStores } from './fleet-ports.js';

/**
 * At most `perAddress` new computers first seen from one source address per `periodMs`
 * (`[clients] new_computers_per_address`); 0 = no bound, as WSUS (which registers every client id it is sent).
 */
export interface NewComputerLimit {
  readonly perAddress: number;
  readonly periodMs: number;
}

export const noNewComputerLimit: NewComputerLimit = Object.freeze({ perAddress: 0, periodMs: 86_400_000 });

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
    private readonly newComputers: NewComputerLimit = noNewComputerLimit,
  ) {}

  /**
   * A client asked for an authorization cookie: the computer row exists from now on, and the client-side
   * targeting rule (applyClientTargeting, shared with GroupsService) decides what its requested group names
   * do: memberships in client-side mode, nothing in server-side mode. Returns the names that matched no
   * group (for the log) and the rule's outcome. A computer new to this server is refused with
   * PB_ERR_NEW_COMPUTER_LIMIT (a ServerBusy fault: the client retries later) once its address has reached
   * the NewComputerLimit; known computers are never refused.
   */
  async enrol(
    computerId: string,
    info: { dnsName: string; ipAddress: string | undefined; targetGroupNames: readonly string[] },
    now: number = Date.now(),
  ): Promise<{ unknownGroupNames: string[]; targeting: ClientTargetingResult }> {
    await this.checkNewComputerLimit(computerId, info.ipAddress, now);
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

  private async checkNewComputerLimit(
    computerId: string,
    ip: string | undefined,
    now: number,
  ): Promise<void> {
    const { perAddress, periodMs } = this.newComputers;
    if (perAddress === 0 || ip === undefined) return;
    if ((await this.stores.computers.get(computerId)) !== undefined) return;
    const recent = await this.stores.computers.countRegisteredFromSince(ip, now - periodMs);
    if (recent >= perAddress)
      throw new AppError(
        'PB_ERR_NEW_COMPUTER_LIMIT',
        `${recent} new computers from ${ip} in the last ${Math.round(periodMs / 3_600_000)} h ` +
          `(clients.new_computers_per_address = ${perAddress}): computer ${computerId} refused`,
      );
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
