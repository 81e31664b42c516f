import type { Logger } from '../observability/index.js';
import { clientStatusEventId, parseStatusLists, type ReportedEvent } from '../protocol/reporting/index.js';
import { deriveUpdateStatuses, type StatusEvent } from './derive-update-status.js';
import type { FleetStores, FleetTransaction } from './fleet-ports.js';

export interface ReportOutcome {
  /** Events stored now (duplicates of an earlier EventInstanceID are not counted). */
  readonly stored: number;
  readonly duplicates: number;
  /** Events naming another computer than the cookie's (never stored: a client reports only for itself). */
  readonly foreign: number;
  readonly statusesChanged: number;
}

/** Upper bound on ids in one 156 list (the codec's own bound is the same order). */
const maxStatusListIds = 5_000;

/**
 * ReportEventBatch: events are stored raw (as the typed, length-bounded fields the codec decoded, in JSON),
 * de-duplicated on EventInstanceID, and turned into per-update states (deriveUpdateStatuses). Nothing in an
 * event is ever executed, deserialized into objects of its choosing, or trusted beyond the documented
 * forms (CVE-2025-59287's second sink was reporting data, protocol.md 5.2).
 */
export class ReportService {
  constructor(
    private readonly transaction: FleetTransaction,
    private readonly logger: Logger,
  ) {}

  async reportEvents(
    computerId: string,
    events: readonly ReportedEvent[],
    now: number = Date.now(),
  ): Promise<ReportOutcome> {
    const own = events.filter((e) => e.targetId === computerId);
    const foreign = events.length - own.length;
    if (foreign > 0)
      this.logger.warn({ computerId, foreign }, 'events for another computer ignored (wrong TargetID)');

    const statusEvents: StatusEvent[] = [];
    for (const e of own) {
      let lists: StatusEvent['statusLists'];
      if (e.eventId === clientStatusEventId) {
        try {
          lists = parseStatusLists(e.miscData, maxStatusListIds);
        } catch (err) {
          // The raw event is still stored; only its status contribution is dropped.
          this.logger.info({ computerId, err: (err as Error).message }, 'unreadable 156 status lists');
          continue;
        }
      }
      statusEvents.push({
        eventId: e.eventId,
        updateId: e.update.updateId,
        revisionNumber: e.update.revisionNumber,
        eventAtMs: e.timeAtTarget.getTime(),
        win32HResult: e.win32HResult,
        ...(lists ? { statusLists: lists } : {}),
      });
    }

    return this.transaction(async (s: FleetStores) => {
      if ((await s.computers.get(computerId)) === undefined) await s.computers.upsert({ computerId }, now);
      const stored = await s.clientEvents.insertBatch(
        own.map((e) => ({
          eventInstanceId: e.eventInstanceId,
          computerId,
          eventId: e.eventId,
          namespaceId: e.namespaceId,
          sourceId: e.sourceId,
          eventAt: e.timeAtTarget.getTime(),
          updateId: e.update.updateId,
          revisionNumber: e.update.revisionNumber,
          win32HResult: e.win32HResult,
          raw: JSON.stringify(e),
        })),
        now,
      );
      const needsKnown = statusEvents.some((e) => e.statusLists !== undefined);
      const known = needsKnown ? await s.updateStatus.listForComputer(computerId) : [];
      const derived = deriveUpdateStatuses(statusEvents, known);
      if (derived.length > 0)
        await s.updateStatus.upsert(
          derived.map((d) => ({
            computerId,
            updateId: d.updateId,
            state: d.state,
            hresult: d.hresult,
            statusAt: d.statusAtMs,
          })),
          now,
        );
      await s.computers.touchLastReport(computerId, now);
      return { stored, duplicates: own.length - stored, foreign, statusesChanged: derived.length };
    });
  }
}
