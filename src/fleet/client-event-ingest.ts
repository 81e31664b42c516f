import type { Logger } from '../observability/index.js';
import { defaultClientWsLimits } from '../protocol/client-ws/index.js';
import { clientStatusEventId, parseStatusLists, type ReportedEvent } from '../protocol/reporting/index.js';
import { deriveUpdateStatuses, type StatusEvent } from './derive-update-status.js';
import type { FleetStores, FleetTransaction } from './fleet-ports.js';
import { storedEventText } from './stored-event.js';

/**
 * How much raw event text one computer may add per period (`[clients] raw_event_budget` over
 * `budget_period_hours`). Over it, events still become per-update states and the batch is still answered
 * `true` (a client that gets a fault resends the same batch forever); only their raw text is not stored.
 */
export interface RawEventBudget {
  readonly bytes: number;
  readonly periodMs: number;
}

/** 8 MiB a day: a typical event is stored in ~650 bytes, so a first scan of 1,670 updates takes ~1.1 MB. */
export const defaultRawEventBudget: RawEventBudget = Object.freeze({
  bytes: 8 * 1024 ** 2,
  periodMs: 86_400_000,
});

export interface EventIngestOutcome {
  /** Events stored now (duplicates of an earlier EventInstanceID are not counted). */
  readonly stored: number;
  readonly duplicates: number;
  /** Events naming another computer than the cookie's (never stored: a client reports only for itself). */
  readonly foreign: number;
  /** Events whose raw text was not stored because the computer's budget for the period is spent. */
  readonly overBudget: number;
  readonly statusesChanged: number;
  /** Updates the events gave a state for that no stored revision knows (no state row is written). */
  readonly notInCatalog: number;
}

/** Ids in one 156 list: as many as the codec's longest event string holds (bytes bound them, not a count). */
const maxStatusListIds = defaultClientWsLimits.maxStatusListIds;

/**
 * The ingest of a client's ReportEventBatch (the admin reports over what it stores are src/reports): events
 * are stored raw (as the typed, length-bounded fields the codec decoded, in JSON, strings cut by
 * storedEventText), de-duplicated on EventInstanceID, within the computer's RawEventBudget, and turned into
 * per-update states (deriveUpdateStatuses) for the updates in the catalog. Nothing in an event is ever
 * executed, deserialized into objects of its choosing, or trusted beyond the documented forms
 * (CVE-2025-59287's second sink was reporting data, docs/protocol/security.md §5.2).
 */
export class ClientEventIngest {
  constructor(
    private readonly transaction: FleetTransaction,
    private readonly logger: Logger,
    private readonly budget: RawEventBudget = defaultRawEventBudget,
  ) {}

  async ingestBatch(
    computerId: string,
    events: readonly ReportedEvent[],
    now: number = Date.now(),
  ): Promise<EventIngestOutcome> {
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
      // Writing the computer row first locks it until commit (PostgreSQL; SQLite has one writer anyway), so
      // concurrent batches of one computer read the budget one after the other and cannot each spend it.
      await s.computers.touchLastReport(computerId, now);
      let used = await s.clientEvents.rawBytesSince(computerId, now - this.budget.periodMs);
      const rows = [];
      for (const e of own) {
        const { raw, truncated } = storedEventText(e);
        const bytes = Buffer.byteLength(raw);
        if (used + bytes > this.budget.bytes) break;
        used += bytes;
        rows.push({
          eventInstanceId: e.eventInstanceId,
          computerId,
          eventId: e.eventId,
          namespaceId: e.namespaceId,
          sourceId: e.sourceId,
          eventAt: e.timeAtTarget.getTime(),
          updateId: e.update.updateId,
          revisionNumber: e.update.revisionNumber,
          win32HResult: e.win32HResult,
          raw,
          isRawTruncated: truncated,
        });
      }
      const overBudget = own.length - rows.length;
      if (overBudget > 0)
        this.logger.warn(
          { computerId, overBudget, budgetBytes: this.budget.bytes },
          'raw event budget spent: states recorded, raw events not stored',
        );
      const stored = await s.clientEvents.insertBatch(rows, now);
      const needsKnown = statusEvents.some((e) => e.statusLists !== undefined);
      const known = needsKnown ? await s.updateStatus.listForComputer(computerId) : [];
      // Only updates in the catalog get a state: ids a client makes up would otherwise each add a row that
      // no budget bounds. One lookup for the whole batch; the raw events stay (within the budget).
      const candidates = deriveUpdateStatuses(statusEvents, known);
      const inCatalog = await s.revisions.knownUpdateIds(candidates.map((d) => d.updateId));
      const derived = candidates.filter((d) => inCatalog.has(d.updateId.toLowerCase()));
      const notInCatalog = candidates.length - derived.length;
      if (notInCatalog > 0)
        this.logger.debug({ computerId, notInCatalog }, 'states for updates not in the catalog not recorded');
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
      return {
        stored,
        duplicates: rows.length - stored,
        foreign,
        overBudget,
        statusesChanged: derived.length,
        notInCatalog,
      };
    });
  }
}
