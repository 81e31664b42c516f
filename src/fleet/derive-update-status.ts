import { updateState, type UpdateState } from '../domain/index.js';

/** One reported event reduced to what the status rule reads (all values already validated and bounded). */
export interface StatusEvent {
  readonly eventId: number;
  /** Lower-case GUID; the zero GUID when the event is about no update. */
  readonly updateId: string;
  readonly revisionNumber: number;
  readonly eventAtMs: number;
  readonly win32HResult: number;
  /** Only for event 156: the U (applicable, not installed) and V (installed) lists, lower-case. */
  readonly statusLists?: { readonly notInstalled: readonly string[]; readonly installed: readonly string[] };
}

export interface DerivedStatus {
  readonly updateId: string;
  readonly revisionNumber: number | undefined;
  readonly state: UpdateState;
  readonly hresult: number | null;
  readonly statusAtMs: number;
}

const zeroGuid = '00000000-0000-0000-0000-000000000000';

/**
 * Event id -> state, following what WS2025 derives (docs/protocol/client.md §1.11) plus the SPEC meanings it leaves open:
 * - 156 client status: U ids -> not installed (2), V ids -> installed (4); a later 156 REPLACES the set, so
 *   an update known before and absent from both lists becomes not applicable (1).
 * - 182 install failed -> failed (5); 204 failed after reboot -> failed (5).
 * - 183 install succeeded -> installed (4); 202/203 reboot completed / succeeded after reboot -> installed (4).
 * - 184 succeeded, restart required -> installed pending reboot (6) (SPEC meaning; WUA rarely sends it).
 * - 201 "installation pending" is NOT a state: WS2025 derived no pending-reboot state from it, so neither
 *   do we (the raw event stays queryable). The next 156 after the reboot reports the update in V.
 * - 162 download succeeded -> downloaded (3).
 * - everything else (147/148 detection, 161/167/168 download progress, uninstall events) only stays raw.
 * Older observations never overwrite newer ones: the storage upsert compares the event times.
 */
export function deriveUpdateStatuses(
  events: readonly StatusEvent[],
  known: readonly { readonly updateId: string }[],
): DerivedStatus[] {
  const out = new Map<string, DerivedStatus>();
  const put = (s: DerivedStatus): void => {
    const prev = out.get(s.updateId);
    if (prev === undefined || prev.statusAtMs <= s.statusAtMs) out.set(s.updateId, s);
  };
  const ordered = [...events].sort((a, b) => a.eventAtMs - b.eventAtMs);
  for (const ev of ordered) {
    if (ev.eventId === 156 && ev.statusLists !== undefined) {
      const listed = new Set<string>();
      for (const id of ev.statusLists.notInstalled) {
        listed.add(id);
        put(status(id, undefined, updateState.notInstalled, null, ev.eventAtMs));
      }
      for (const id of ev.statusLists.installed) {
        listed.add(id);
        put(status(id, undefined, updateState.installed, null, ev.eventAtMs));
      }
      // Known before this batch, or set by an earlier event of this batch.
      const previous = new Set([...known.map((k) => k.updateId), ...out.keys()]);
      for (const k of previous)
        if (!listed.has(k)) put(status(k, undefined, updateState.notApplicable, null, ev.eventAtMs));
      continue;
    }
    if (ev.updateId === zeroGuid) continue;
    const state = stateOfEvent(ev.eventId);
    if (state === undefined) continue;
    const failed = state === updateState.failed;
    put(status(ev.updateId, ev.revisionNumber, state, failed ? ev.win32HResult : null, ev.eventAtMs));
  }
  return [...out.values()];
}

function stateOfEvent(eventId: number): UpdateState | undefined {
  switch (eventId) {
    case 162:
      return updateState.downloaded;
    case 182:
    case 204:
      return updateState.failed;
    case 183:
    case 202:
    case 203:
      return updateState.installed;
    case 184:
      return updateState.installedPendingReboot;
    default:
      return undefined;
  }
}

function status(
  updateId: string,
  revisionNumber: number | undefined,
  state: UpdateState,
  hresult: number | null,
  statusAtMs: number,
): DerivedStatus {
  return { updateId, revisionNumber, state, hresult, statusAtMs };
}
