import type { ContentMode } from '../domain/index.js';
import { unknownNameError } from '../fleet/index.js';

/** The steps of `patchbay cleanup`, in the order they run (docs/administration.md "Server cleanup"). */
export const cleanupSteps = [
  'revisions',
  'declines',
  'files',
  'computers',
  'events',
  'generations',
  'database',
] as const;

export type CleanupStep = (typeof cleanupSteps)[number];

/** One thing a step removes (or, in a dry run, would): a revision, a decline, a file, a computer... */
export interface CleanupItem {
  readonly kind:
    | 'revision'
    | 'decline'
    | 'file'
    | 'computer'
    | 'events'
    | 'generation'
    | 'statement'
    /** Reported only: a `verified` file row whose object the content store lacks. */
    | 'missing';
  readonly id: string;
  /** Why, in words (the rule that selected it). */
  readonly detail: string;
  readonly bytes?: number;
}

export interface CleanupStepReport {
  readonly step: CleanupStep;
  /** Database rows removed (revisions, files rows, computers, events, generations and their members). */
  readonly rows: number;
  /** Content objects deleted from the store. */
  readonly files: number;
  /** Bytes reclaimed: stored blobs of removed rows, content objects, database file shrinkage. */
  readonly bytes: number;
  readonly ms: number;
  /** Why the step did nothing (disabled by configuration), when it did not run. */
  readonly skipped?: string;
  /** What it removed, in order; the dry run lists exactly what the real run removes. */
  readonly items: CleanupItem[];
}

/** What the database and the content store hold. */
export interface StorageTotals {
  readonly databaseBytes: number;
  readonly contentFiles: number;
  readonly contentBytes: number;
}

export interface CleanupReport {
  readonly dryRun: boolean;
  readonly startedAt: number;
  readonly ms: number;
  readonly steps: CleanupStepReport[];
  /** Sums over the steps. */
  readonly total: { rows: number; files: number; bytes: number };
  readonly before: StorageTotals;
  /** After the run (absent in a dry run, which changes nothing). */
  readonly after?: StorageTotals;
}

/** The rules' numbers (configuration `[maintenance]` and `clients.event_retention_days`). */
export interface CleanupSettings {
  readonly contentMode: ContentMode;
  /** `maintenance.decline_superseded_after_days`. */
  readonly declineSupersededAfterDays: number;
  /** `maintenance.cleanup_unapproved_file_days`: a stored file of an update nobody approved is kept this long. */
  readonly unapprovedFileDays: number;
  /** `maintenance.cleanup_computer_silent_days`; 0 keeps every computer. */
  readonly computerSilentDays: number;
  /** `clients.event_retention_days`; 0 keeps every raw event. */
  readonly eventRetentionDays: number;
  /** `maintenance.cleanup_keep_generations`: finished catalog generations kept for rollback. */
  readonly keepGenerations: number;
}

/** `--only revisions,files`: the steps named, in cleanup order; an unknown name is an error with a suggestion. */
export function parseCleanupSteps(text: string | readonly string[] | undefined): CleanupStep[] {
  if (text === undefined) return [...cleanupSteps];
  const names = (typeof text === 'string' ? text.split(',') : text).map((s) => s.trim().toLowerCase());
  const wanted = new Set<CleanupStep>();
  for (const n of names) {
    if (n === '') continue;
    if (!(cleanupSteps as readonly string[]).includes(n))
      throw unknownNameError('cleanup step', 'only', n, cleanupSteps);
    wanted.add(n as CleanupStep);
  }
  if (wanted.size === 0) return [...cleanupSteps];
  return cleanupSteps.filter((s) => wanted.has(s));
}
