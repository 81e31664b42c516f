import {
  driverPass,
  type CatalogIndex,
  type ClientScope,
  type DriverCandidate,
  type DriverPassDevice,
  type DriverPassRequest,
  type DriverPassResult,
} from '../catalog/index.js';
import type { SystemSpecDevice } from '../protocol/client-ws/index.js';
import { driverDate, packDriverVersion } from '../protocol/update-xml/index.js';

/** The driver metadata port of the client service (adapter: storage-adapters.ts). */
export interface DriverSource {
  /**
   * The driver rows for these device ids (hardware and compatible ids, any case), newest first per id; with
   * `perId`, at most that many per id.
   */
  candidates(ids: readonly string[], perId?: number): Promise<DriverCandidate[]>;
  /** Non-category prerequisite clauses per revision. */
  prerequisites(revisionIds: readonly number[]): Promise<ReadonlyMap<number, readonly (readonly string[])[]>>;
}

/** An installed driver whose date or version we cannot read is never replaced: nothing ranks above this. */
const unbeatable = { verDate: '9999-12-31', verVersion: 'ffffffffffffffff' } as const;

/** The wire devices in ranking terms: hardware ids then compatible ids, the installed driver normalized. */
export function driverPassDevices(devices: readonly SystemSpecDevice[]): DriverPassDevice[] {
  return devices.map((d) => {
    const inst = d.installedDriver;
    const ids = [...d.hardwareIds, ...d.compatibleIds];
    if (inst === undefined) return { ids };
    const verDate = inst.verDate === undefined ? undefined : driverDate(inst.verDate);
    const verVersion = inst.verVersion === undefined ? undefined : packDriverVersion(inst.verVersion);
    return {
      ids,
      installed:
        verDate !== undefined && verVersion !== undefined
          ? { matchedId: inst.matchingId, verDate, verVersion }
          : { matchedId: inst.matchingId, ...unbeatable },
      installedClass: inst.class,
      installedProvider: inst.provider,
      installedManufacturer: inst.manufacturer,
    };
  });
}

/** Rows read per device id at first; an id whose window may hide its winner is read again in full. */
const firstWindow = 64;

/**
 * One driver pass: the candidates through the hardware-id index, then `driverPass`, repeated until its answer
 * can no longer change:
 * - prerequisites are read only for the drivers a pass chooses (a chosen driver whose clauses fail lets the next
 *   candidate win, so the pass runs again);
 * - each id is read newest first, `firstWindow` rows; an id whose window was full and that ranks before the
 *   device's winner (or the device got none) may hold an eligible driver beyond the window, so it is read in
 *   full and the pass runs again. Each round reads something new, so this ends.
 */
export async function answerDriverPass(
  index: CatalogIndex,
  scope: ClientScope,
  source: DriverSource,
  request: DriverPassRequest,
): Promise<DriverPassResult> {
  let candidates = await source.candidates(
    request.devices.flatMap((d) => d.ids),
    firstWindow,
  );
  const counts = new Map<string, number>();
  for (const c of candidates) counts.set(c.hardwareId, (counts.get(c.hardwareId) ?? 0) + 1);
  const windowed = new Set([...counts].filter(([, n]) => n >= firstWindow).map(([id]) => id));
  const prerequisites = new Map<number, readonly (readonly string[])[]>();
  for (;;) {
    const pass = driverPass(index, scope, request, candidates, (id) => prerequisites.get(id));
    const unread = pass.chosenRevisionIds.filter((id) => !prerequisites.has(id));
    if (unread.length > 0) {
      const read = await source.prerequisites(unread);
      for (const id of unread) prerequisites.set(id, read.get(id) ?? []);
      continue;
    }
    const widen = new Set<string>();
    request.devices.forEach((d, i) => {
      const before = pass.winnerPositions[i]!;
      d.ids.forEach((raw, pos) => {
        const id = raw.toLowerCase();
        if (pos < before && windowed.has(id)) widen.add(id);
      });
    });
    if (widen.size === 0) return pass;
    const full = await source.candidates([...widen]);
    candidates = [...candidates.filter((c) => !widen.has(c.hardwareId)), ...full];
    for (const id of widen) windowed.delete(id);
  }
}
