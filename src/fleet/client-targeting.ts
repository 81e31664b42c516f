import { allComputersGroupId } from '../domain/index.js';
import type { GroupStore } from './fleet-ports.js';

/**
 * server: memberships are assigned by administrators (WSUS "Use the Update Services console");
 * client: a client's requested TargetGroupName(s) decide its memberships ("Use Group Policy or registry").
 */
export type TargetingMode = 'server' | 'client';
export const targetingModeSetting = 'targeting.mode';

export interface ClientTargetingResult {
  readonly mode: TargetingMode;
  /** True when the request changed (or confirmed) the computer's client-side memberships. */
  readonly applied: boolean;
  /** The computer's groups after the call (both sources). */
  readonly groupIds: string[];
  /** Requested names that match no group (ignored, as WSUS does; never created). */
  readonly unknownNames: string[];
}

/** What the rule reads and writes: the group tree and memberships, and the targeting-mode setting. */
export interface ClientTargetingStores {
  readonly groups: Pick<GroupStore, 'list' | 'setMemberships' | 'groupsOf'>;
  readonly settings: { get<T = unknown>(key: string): Promise<T | undefined> };
}

const maxRequestedNames = 64;

export async function readTargetingMode(settings: ClientTargetingStores['settings']): Promise<TargetingMode> {
  return (await settings.get<unknown>(targetingModeSetting)) === 'client' ? 'client' : 'server';
}

/**
 * The one client-side targeting rule, used by the client web service at GetAuthorizationCookie (through
 * ComputerService.enrol) and by GroupsService.resolveClientTargetGroups. Client-side mode: the requested
 * names become the computer's client-side memberships (case-insensitive; unknown names are reported, never
 * created; nothing matching -> Unassigned Computers). Server-side mode: the request changes no membership;
 * a computer that has none yet lands in Unassigned Computers. The computer row must exist.
 */
export async function applyClientTargeting(
  stores: ClientTargetingStores,
  computerId: string,
  requestedNames: readonly string[],
  now: number = Date.now(),
): Promise<ClientTargetingResult> {
  const mode = await readTargetingMode(stores.settings);
  const names = requestedNames
    .slice(0, maxRequestedNames)
    .map((n) => n.trim())
    .filter((n) => n !== '' && n.length <= 256);
  const matched: string[] = [];
  const unknownNames: string[] = [];
  if (names.length > 0) {
    const byName = new Map<string, string>();
    for (const g of await stores.groups.list()) byName.set(g.name.toLowerCase(), g.groupId);
    for (const n of names) {
      const id = byName.get(n.toLowerCase());
      if (id === undefined || id === allComputersGroupId) unknownNames.push(n);
      else matched.push(id);
    }
  }
  let current = await stores.groups.groupsOf(computerId);
  if (mode === 'client') {
    await stores.groups.setMemberships(computerId, matched, 'client', now);
    current = await stores.groups.groupsOf(computerId);
  } else if (current.length === 0) {
    // A new computer in server-side mode: no admin has placed it yet.
    await stores.groups.setMemberships(computerId, [], 'server', now);
    current = await stores.groups.groupsOf(computerId);
  }
  const groupIds = [...new Set(current.map((m) => m.groupId))].sort();
  return { mode, applied: mode === 'client', groupIds, unknownNames };
}
