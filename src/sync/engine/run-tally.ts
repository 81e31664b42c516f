import type { SyncPhase, SyncProgress } from './sync-types.js';

/** The run's cumulative counters and phase, reported to the progress callback on every change. */
export class RunTally {
  readonly counters: Record<string, number> = {
    categoriesListed: 0,
    revisionsListed: 0,
    revisionsFetched: 0,
    revisionsImported: 0,
    revisionsQuarantined: 0,
    revisionsReleased: 0,
    rollbacksRejected: 0,
  };
  /** Entries this run added to quarantine: any makes the outcome `partial`. */
  quarantinedThisRun = 0;
  /** Revision ids of committed batches, for the automatic approval rules. */
  readonly importedRevisionIds: number[] = [];
  #phase: SyncPhase = 'auth';
  #phaseTotal = 0;

  constructor(private readonly onProgress?: (p: SyncProgress) => void) {}

  progress(phase?: SyncPhase, total?: number): void {
    if (phase !== undefined) this.#phase = phase;
    if (total !== undefined) this.#phaseTotal = total;
    this.onProgress?.({ phase: this.#phase, counters: { ...this.counters }, phaseTotal: this.#phaseTotal });
  }

  add(delta: Readonly<Record<string, number>>): void {
    for (const [k, v] of Object.entries(delta)) this.counters[k] = (this.counters[k] ?? 0) + v;
  }
}
