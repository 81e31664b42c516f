import {
  allComputersGroupId,
  expandRingGroups,
  formatDuration,
  parseDuration,
  placeInRing,
  type RingPlacement,
} from '../domain/index.js';
import { AppError } from '../errors.js';
import type { RingGate, RingRecord } from '../storage/index.js';
import { actorText, type AdminActor } from './admin-actor.js';
import type { AdminStore, AdminStores } from './admin-store.js';
import type { GroupsService } from './groups-service.js';
import { unknownNameError } from './unknown-name.js';

export interface RingView {
  readonly ringId: number;
  readonly name: string;
  readonly position: number;
  readonly description: string | null;
  readonly soakMs: number;
  /** The soak as the CLI takes it (`2d`, `1d12h`). */
  readonly soak: string;
  readonly minReported: number;
  readonly maxFailurePercent: number;
  readonly maxFaultPercent: number;
  readonly maxUninstalls: number;
  readonly groups: readonly { readonly groupId: string; readonly name: string }[];
  readonly createdAt: number;
  readonly updatedAt: number;
}

/** What `rings create` / `rings set` take: names of groups, durations as text, thresholds as numbers. */
export interface RingFields {
  readonly name?: string;
  readonly description?: string | null;
  readonly groups?: readonly string[];
  readonly soak?: string;
  readonly minReported?: number;
  readonly maxFailurePercent?: number;
  readonly maxFaultPercent?: number;
  readonly maxUninstalls?: number;
  /** 0-based; `rings set --position`. */
  readonly position?: number;
}

/** A new ring's gate when the admin names no threshold (docs/rings.md "Gates"). */
export const defaultRingGate: RingGate = Object.freeze({
  soakMs: 86_400_000,
  minReported: 1,
  maxFailurePercent: 5,
  maxFaultPercent: 10,
  maxUninstalls: 0,
});

/** Counts an admin can type (computers, events): bounded so a typo never becomes a 2^53 threshold. */
const maxCount = 10_000_000;

/**
 * A ring name: 1..64 letters, digits, `-`, `_` or `.`, starting with a letter or digit. Names are typed on
 * command lines and in plans (`--rings pilot,broad`), so no spaces and no commas.
 */
export function requireRingName(value: string, parameter = 'name'): string {
  const v = typeof value === 'string' ? value.trim() : '';
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(v))
    throw new AppError(
      'PB_ERR_INVALID_PARAMETER',
      `${parameter} must be 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit`,
      { detail: { parameter } },
    );
  return v;
}

/**
 * The ordered rollout rings (docs/rings.md): each a set of groups with a soak time and a health gate. Every
 * change is audited in the same transaction. `resolveRing` says which ring a computer is in.
 */
export class RingsService {
  constructor(
    private readonly store: AdminStore,
    private readonly groups: GroupsService,
  ) {}

  async list(): Promise<RingView[]> {
    const [rings, names] = await Promise.all([this.store.repos.rings.list(), this.groupNames()]);
    return rings.map((r) => view(r, names));
  }

  /** A ring by name (case-insensitive) or id; an unknown one is bad input with the closest name. */
  async resolve(nameOrId: string, parameter = 'ring'): Promise<RingView> {
    const rings = await this.list();
    const key = String(nameOrId).trim();
    const found =
      rings.find((r) => r.name.toLowerCase() === key.toLowerCase()) ??
      (/^\d+$/.test(key) ? rings.find((r) => r.ringId === Number(key)) : undefined);
    if (found !== undefined) return found;
    throw unknownNameError(
      'ring',
      parameter,
      key,
      rings.map((r) => r.name),
    );
  }

  async create(fields: RingFields, actor: AdminActor, now = Date.now()): Promise<RingView> {
    const name = requireRingName(fields.name ?? '');
    const groupIds = await this.groupIds(fields.groups ?? []);
    const gate = { ...defaultRingGate, ...this.gateFields(fields) };
    return this.store.transaction(async (r) => {
      const ring = await r.rings.create(
        {
          name,
          description: fields.description ?? null,
          groupIds,
          ...gate,
          ...(fields.position !== undefined ? { position: fields.position } : {}),
        },
        now,
      );
      await audit(r, actor, 'ring.create', ring, { name, position: ring.position, groupIds, ...gate }, now);
      return view(ring, await groupNames(r));
    });
  }

  async set(nameOrId: string, fields: RingFields, actor: AdminActor, now = Date.now()): Promise<RingView> {
    const ring = await this.resolve(nameOrId, 'ring');
    const patch = {
      ...(fields.name !== undefined ? { name: requireRingName(fields.name) } : {}),
      ...(fields.description !== undefined ? { description: fields.description } : {}),
      ...(fields.groups !== undefined ? { groupIds: await this.groupIds(fields.groups) } : {}),
      ...(fields.position !== undefined ? { position: fields.position } : {}),
      ...this.gateFields(fields),
    };
    if (Object.keys(patch).length === 0)
      throw new AppError('PB_ERR_INVALID_PARAMETER', 'nothing to change: name a field to set');
    return this.store.transaction(async (r) => {
      if (patch.position !== undefined && (await r.rollouts.activeRingIds()).size > 0)
        throw new AppError(
          'PB_ERR_CONFLICT',
          'rings cannot be reordered while a rollout is running or paused (their stages follow the order)',
        );
      const updated = await r.rings.update(ring.ringId, patch, now);
      await audit(r, actor, 'ring.set', updated, { name: ring.name, changes: patch }, now);
      return view(updated, await groupNames(r));
    });
  }

  async delete(nameOrId: string, actor: AdminActor, now = Date.now()): Promise<RingView> {
    const ring = await this.resolve(nameOrId, 'ring');
    return this.store.transaction(async (r) => {
      if ((await r.rollouts.activeRingIds()).has(ring.ringId))
        throw new AppError(
          'PB_ERR_CONFLICT',
          `ring ${ring.name} is in the plan of a running or paused rollout; stop or finish it first`,
        );
      const rule = (await r.approvalRules.list()).find((x) =>
        (x.ringsPlan ?? []).some((st) => st.ringId === ring.ringId),
      );
      if (rule !== undefined)
        throw new AppError(
          'PB_ERR_CONFLICT',
          `ring ${ring.name} is in the rings plan of approval rule ${rule.ruleId} (${rule.name}); change the rule first (patchbay rules set ${rule.ruleId} --rings ...)`,
        );
      await r.rings.delete(ring.ringId);
      await r.auditLog.append(
        {
          actor: actorText(actor),
          action: 'ring.delete',
          targetType: 'ring',
          targetId: String(ring.ringId),
          detail: { name: ring.name },
        },
        now,
      );
      return ring;
    });
  }

  /**
   * The ring a computer is in: the earliest ring holding any of its groups or their ancestors; a computer in
   * no ring follows the last ring (`isMember` false). Undefined when no ring exists.
   */
  async resolveRing(
    computerId: string,
  ): Promise<(RingPlacement & { readonly ringName: string }) | undefined> {
    const [rings, groups, memberships] = await Promise.all([
      this.store.repos.rings.list(),
      this.store.repos.groups.list(),
      this.store.repos.groups.groupsOf(computerId),
    ]);
    const parentOf = new Map(groups.map((g) => [g.groupId, g.parentGroupId]));
    const placed = placeInRing(
      memberships.map((m) => m.groupId),
      parentOf,
      rings,
    );
    return placed && { ...placed, ringName: rings[placed.index]!.name };
  }

  /**
   * The groups each ring of `rings` (in that order) reaches first: its own and their descendants, less those of
   * earlier rings. What the gate figures count and what ringed approvals approve.
   */
  async expandedGroups(
    rings: readonly { ringId: number; groupIds: readonly string[] }[],
  ): Promise<string[][]> {
    const groups = await this.store.repos.groups.list();
    return expandRingGroups(new Map(groups.map((g) => [g.groupId, g.parentGroupId])), rings);
  }

  private gateFields(f: RingFields): Partial<RingGate> {
    return {
      ...(f.soak !== undefined ? { soakMs: parseDuration(f.soak, 'soak') } : {}),
      ...(f.minReported !== undefined ? { minReported: count(f.minReported, 'minReported') } : {}),
      ...(f.maxFailurePercent !== undefined
        ? { maxFailurePercent: pct(f.maxFailurePercent, 'maxFailurePercent') }
        : {}),
      ...(f.maxFaultPercent !== undefined
        ? { maxFaultPercent: pct(f.maxFaultPercent, 'maxFaultPercent') }
        : {}),
      ...(f.maxUninstalls !== undefined ? { maxUninstalls: count(f.maxUninstalls, 'maxUninstalls') } : {}),
    };
  }

  private async groupIds(names: readonly string[]): Promise<string[]> {
    const ids: string[] = [];
    for (const n of names) {
      const g = await this.groups.resolve(n, 'groups');
      if (g.groupId === allComputersGroupId && names.length > 1)
        throw new AppError(
          'PB_ERR_INVALID_PARAMETER',
          'All Computers already holds every group: a ring with it needs no other group',
          { detail: { parameter: 'groups' } },
        );
      ids.push(g.groupId);
    }
    return [...new Set(ids)];
  }

  private groupNames(): Promise<Map<string, string>> {
    return groupNames(this.store.repos);
  }
}

/** Inside a transaction, read through its stores: SQLite has one connection, held by the transaction. */
async function groupNames(r: Pick<AdminStores, 'groups'>): Promise<Map<string, string>> {
  return new Map((await r.groups.list()).map((g) => [g.groupId, g.name]));
}

function count(v: number, parameter: string): number {
  if (!Number.isInteger(v) || v < 0 || v > maxCount)
    throw new AppError('PB_ERR_INVALID_PARAMETER', `${parameter} must be a whole number 0..${maxCount}`, {
      detail: { parameter },
    });
  return v;
}

function pct(v: number, parameter: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > 100)
    throw new AppError('PB_ERR_INVALID_PARAMETER', `${parameter} must be a percentage 0..100`, {
      detail: { parameter },
    });
  return v;
}

function view(r: RingRecord, names: ReadonlyMap<string, string>): RingView {
  return {
    ringId: r.ringId,
    name: r.name,
    position: r.position,
    description: r.description,
    soakMs: r.soakMs,
    soak: formatDuration(r.soakMs),
    minReported: r.minReported,
    maxFailurePercent: r.maxFailurePercent,
    maxFaultPercent: r.maxFaultPercent,
    maxUninstalls: r.maxUninstalls,
    groups: r.groupIds.map((g) => ({ groupId: g, name: names.get(g) ?? g })),
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
  };
}

async function audit(
  r: AdminStores,
  actor: AdminActor,
  action: string,
  ring: RingRecord,
  detail: unknown,
  now: number,
): Promise<void> {
  await r.auditLog.append(
    { actor: actorText(actor), action, targetType: 'ring', targetId: String(ring.ringId), detail },
    now,
  );
}
