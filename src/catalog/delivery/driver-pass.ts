import type { RevisionId } from '../../domain/index.js';
import { revFlag, type CatalogIndex } from '../index/index.js';
import type { ClientScope } from '../scope/index.js';
import { maxPageSize, type DeliveredRevision, type DeliveryResult } from './delivery-types.js';

/** One device of the pass: its ids most specific first (hardware ids, then compatible ids). */
export interface DriverPassDevice {
  readonly ids: readonly string[];
  /** The driver it runs now, in ranking terms; undefined when none. */
  readonly installed?: RankedDriver | undefined;
  /** `installedDriver/Class`, `Provider`, `Manufacturer`: printers only take the same vendor's driver. */
  readonly installedClass?: string | undefined;
  readonly installedProvider?: string | undefined;
  readonly installedManufacturer?: string | undefined;
}

/** What the SPEC 3.1.5.7 ranking compares (docs/protocol/upstream.md §U5.3, steps 3-5). */
export interface RankedDriver {
  /** The device id it matches (lower case); the earlier in the device's list, the better. */
  readonly matchedId: string | undefined;
  /** `YYYY-MM-DD`; newer is better. */
  readonly verDate: string;
  /** 16 hex digits; higher is better. */
  readonly verVersion: string;
}

/** One `revision_drivers` row found for a device id. */
export interface DriverCandidate extends RankedDriver {
  readonly revisionId: RevisionId;
  readonly hardwareId: string;
  readonly manufacturer: string | null;
  readonly provider: string | null;
}

export interface DriverPassRequest {
  readonly devices: readonly DriverPassDevice[];
  /** Non-leaf revisions the client holds as installed: what satisfies a driver's prerequisites. */
  readonly installedNonLeafRevisionIds?: readonly RevisionId[] | undefined;
  readonly cachedDriverRevisionIds?: readonly RevisionId[] | undefined;
  readonly anchor?: number | undefined;
}

/**
 * The prerequisite clauses (update ids, any of which satisfies) of a candidate revision; undefined when the
 * caller has not read them yet (then the candidate counts as satisfied and the caller reads the clauses of the
 * chosen ones and runs the pass again: see `DriverPassResult.chosenRevisionIds`).
 */
export type PrerequisitesOf = (revisionId: RevisionId) => readonly (readonly string[])[] | undefined;

export interface DriverPassResult extends DeliveryResult {
  /** Every driver chosen for some device (cached ones included), in no particular order. */
  readonly chosenRevisionIds: readonly RevisionId[];
  /** Per request device: the position in its ids of the best eligible driver's id; Infinity if none. */
  readonly winnerPositions: readonly number[];
}

/**
 * The client driver pass (docs/protocol/upstream.md §U5.3). A candidate is eligible when it is the current
 * revision of a driver update in this generation, approved for install for the client's groups, and every
 * prerequisite clause has an alternative among the client's installed non-leaf updates. Per device, the
 * eligible candidates are ranked by the SPEC's pairwise rule (the device id matched earlier, then the newer
 * DriverVerDate, then the higher DriverVerVersion; ties by revision id so answers are stable) and only the
 * best is kept, and only when it beats the installed driver by the same rule (printers: same Provider and
 * Manufacturer). Steps 1-2 (computer hardware id targeting, FeatureScore) are not applied: UNVERIFIED in
 * docs/protocol/upstream.md. New = needed - CachedDriverIDs; cached - needed = OutOfScope. At most 200 per
 * answer (WSUS <55>), Truncated beyond.
 *
 * `candidates` must be ordered per hardware id by date then version, newest first (DriverRepository's order).
 * Cost: at most the candidates the caller found through the hardware-id index, never the catalog.
 */
export function driverPass(
  index: CatalogIndex,
  scope: ClientScope,
  request: DriverPassRequest,
  candidates: readonly DriverCandidate[],
  prerequisitesOf: PrerequisitesOf,
): DriverPassResult {
  const installedUpdates = new Set<string>();
  for (const id of request.installedNonLeafRevisionIds ?? []) {
    const r = index.findRevision(id);
    if (r >= 0) installedUpdates.add(index.updateIdOf(index.updateOf[r]!));
  }
  const eligible = new Map<RevisionId, boolean>();
  const isEligible = (id: RevisionId): boolean => {
    let ok = eligible.get(id);
    if (ok === undefined) {
      ok = driverEligible(index, scope, id, installedUpdates, prerequisitesOf);
      eligible.set(id, ok);
    }
    return ok;
  };
  const byId = new Map<string, DriverCandidate[]>();
  for (const c of candidates) {
    const list = byId.get(c.hardwareId);
    if (list === undefined) byId.set(c.hardwareId, [c]);
    else list.push(c);
  }

  const needed = new Map<RevisionId, DeliveredRevision>();
  const winnerPositions: number[] = [];
  for (const device of request.devices) {
    let best: DriverCandidate | undefined;
    let bestPos = Infinity;
    const seen = new Set<string>();
    device.ids.forEach((raw, pos) => {
      const id = raw.toLowerCase();
      if (seen.has(id)) return;
      seen.add(id);
      // Candidates come newest first per id (the index order): past the first eligible one only exact
      // date and version ties can still win, so the scan of this id stops at the first row that ranks lower.
      let first: DriverCandidate | undefined;
      for (const c of byId.get(id) ?? []) {
        if (first !== undefined && (c.verDate !== first.verDate || c.verVersion !== first.verVersion)) break;
        if (!isEligible(c.revisionId)) continue;
        first ??= c;
        if (best === undefined || better(pos, c, bestPos, best)) {
          best = c;
          bestPos = pos;
        }
      }
    });
    winnerPositions.push(bestPos);
    if (best === undefined) continue;
    if (device.installed !== undefined) {
      const m = device.installed.matchedId?.toLowerCase();
      const at = m === undefined ? -1 : device.ids.findIndex((x) => x.toLowerCase() === m);
      if (!better(bestPos, best, at < 0 ? Infinity : at, device.installed)) continue;
      if (device.installedClass?.toLowerCase() === 'printer' && !sameVendor(device, best)) continue;
    }
    const chosen: DriverCandidate = best;
    if (!needed.has(chosen.revisionId))
      needed.set(chosen.revisionId, describeDriver(index, scope, chosen.revisionId));
  }

  const cached = new Set(request.cachedDriverRevisionIds ?? []);
  const outOfScope = [...cached].filter((id) => !needed.has(id));
  const fresh = [...needed.values()]
    .filter((d) => !cached.has(d.revisionId))
    .sort((a, b) => a.revisionId - b.revisionId);
  const page = fresh.slice(0, maxPageSize);
  return {
    chosenRevisionIds: [...needed.keys()],
    winnerPositions,
    newUpdates: page,
    outOfScopeRevisionIds: outOfScope,
    changedUpdates: [],
    truncated: fresh.length > page.length,
    // UNVERIFIED: WSUS's exact rule is not documented; true only when this pass has nothing at all to say.
    driverSyncNotNeeded: page.length === 0 && outOfScope.length === 0,
    anchor: request.anchor ?? 0,
  };
}

/** True when (posA, a) is the better driver for the device than (posB, b): SPEC 3.1.5.7 steps 3-5. */
function better(posA: number, a: RankedDriver, posB: number, b: RankedDriver): boolean {
  if (posA !== posB) return posA < posB;
  if (a.verDate !== b.verDate) return a.verDate > b.verDate;
  if (a.verVersion !== b.verVersion) return a.verVersion > b.verVersion;
  const ra = (a as Partial<DriverCandidate>).revisionId;
  const rb = (b as Partial<DriverCandidate>).revisionId;
  return ra !== undefined && rb !== undefined && ra < rb;
}

function sameVendor(device: DriverPassDevice, c: DriverCandidate): boolean {
  const eq = (x: string | undefined, y: string | null) =>
    x !== undefined && y !== null && x.toLowerCase() === y.toLowerCase();
  return eq(device.installedProvider, c.provider) && eq(device.installedManufacturer, c.manufacturer);
}

function driverEligible(
  index: CatalogIndex,
  scope: ClientScope,
  revisionId: RevisionId,
  installedUpdates: ReadonlySet<string>,
  prerequisitesOf: PrerequisitesOf,
): boolean {
  const r = index.findRevision(revisionId);
  if (r < 0 || index.kindOf(r) !== 'driver') return false;
  const u = index.updateOf[r]!;
  if (index.currentOf[u] !== r || (index.revFlags[r]! & revFlag.expired) !== 0) return false;
  if (scope.deployments.get(u)?.decision !== 'install') return false;
  return (prerequisitesOf(revisionId) ?? []).every((clause) =>
    clause.some((id) => installedUpdates.has(id.toLowerCase())),
  );
}

/** A driver goes out as the approval says: Install, the approval's deployment id and change time. */
function describeDriver(index: CatalogIndex, scope: ClientScope, revisionId: RevisionId): DeliveredRevision {
  const r = index.findRevision(revisionId);
  const d = scope.deployments.get(index.updateOf[r]!)!;
  return {
    revisionId,
    isLeaf: index.isLeaf(r),
    deployment: {
      id: d.deploymentId,
      action: 'Install',
      ...(d.deadlineAt !== undefined ? { deadlineAt: d.deadlineAt } : {}),
      lastChangeAt: d.lastChangeAt,
      isAssigned: true,
    },
  };
}
