import type { Logger } from 'pino';
import {
  createRepositories,
  toSha1Hex,
  type ContentState,
  type ContentStore,
  type DbHandle,
  type VerifyOutcome,
} from '../storage/index.js';
import type { ContentStores } from './content-ports.js';

export interface ContentVerifyReport {
  /** Objects re-hashed in the store. */
  readonly checked: number;
  /** Objects whose bytes no longer match (moved to the store's quarantine, never served again). */
  readonly bad: readonly { readonly sha1: string; readonly reason: NonNullable<VerifyOutcome['reason']> }[];
  /** Files marked verified in the database that the store no longer holds. */
  readonly missing: number;
  /** Files queued again for download (bad + missing that the catalog references). */
  readonly requeued: number;
  /** Objects found in the store whose database row was not `verified` yet (now marked verified). */
  readonly adopted: number;
}

/**
 * `patchbay content verify`: re-hash every stored object (SHA-1, SHA-256, size); a bad one is quarantined by
 * the store and its file queued again, as is a `verified` file whose object disappeared. The store is the
 * truth for what is present, the database for what is wanted.
 */
export async function verifyContent(
  deps: { db: DbHandle; store: ContentStore; logger?: Logger },
  options: { signal?: AbortSignal; now?: number } = {},
): Promise<ContentVerifyReport> {
  const { db, store } = deps;
  const now = options.now ?? Date.now();
  const stores: ContentStores = createRepositories(db);
  const report = await store.verifyAll({
    action: 'quarantine',
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const bad = report.bad.map((b) => ({ sha1: b.sha1, reason: b.reason ?? 'metadata' }));
  for (const b of bad) deps.logger?.warn({ sha1: b.sha1, reason: b.reason }, 'stored content is corrupt');
  const badKeys = bad.map((b) => Buffer.from(b.sha1, 'hex'));
  const r = await reconcileContentState(stores, store, now, badKeys);
  return { checked: report.checked, bad, ...r };
}

export interface ContentReconcileReport {
  readonly missing: number;
  readonly requeued: number;
  readonly adopted: number;
}

/**
 * Makes the database's download states agree with what the store holds, without re-hashing: `verified` files
 * the store lacks (and `alsoRequeue`) are queued again, stored objects not recorded as verified are adopted.
 * `content verify` runs it after re-hashing; `restore` runs it after ingesting a backup's files (ingest verifies).
 */
export async function reconcileContentState(
  stores: ContentStores,
  store: ContentStore,
  now: number,
  alsoRequeue: readonly Buffer[] = [],
): Promise<ContentReconcileReport> {
  const { present, missing } = await compareStoreAndDatabase(stores, store);
  const requeued = await stores.files.setState([...missing, ...alsoRequeue], 'queued', null, now);

  // Objects present but not recorded as verified (a restored backup, a run killed after publishing).
  const presentKeys = [...present].map((h) => Buffer.from(h, 'hex'));
  const adopted = await stores.contentState.adoptStored(presentKeys, now);
  return { missing: missing.length, requeued, adopted };
}

/**
 * Every SHA-1 (hex) the store holds, and the files the database says are `verified` that it lacks (`content
 * verify` queues them again; `cleanup` reports them).
 */
export async function compareStoreAndDatabase(
  stores: Pick<ContentStores, 'contentState'>,
  store: ContentStore,
): Promise<{ present: Set<string>; missing: Buffer[] }> {
  const present = new Set<string>();
  for await (const sha1 of store.list()) present.add(sha1);
  const verified = await stores.contentState.verifiedSha1s();
  return { present, missing: verified.filter((sha1) => !present.has(toSha1Hex(sha1))) };
}

/** `reconcileContentState` over an open database. */
export function reconcileContent(
  db: DbHandle,
  store: ContentStore,
  now = Date.now(),
): Promise<ContentReconcileReport> {
  return reconcileContentState(createRepositories(db), store, now);
}

export interface ContentStatus {
  readonly states: Readonly<Record<ContentState, { readonly files: number; readonly bytes: number }>>;
  readonly totalFiles: number;
  readonly totalBytes: number;
  /** Failed files with their last error, most recent first (at most 20). */
  readonly recentFailures: readonly { sha1: string; name: string; error: string | null; attempts: number }[];
}

/** `patchbay content status`: files and bytes per download state, and the latest failures. */
export async function contentStatus(db: DbHandle): Promise<ContentStatus> {
  const stores: ContentStores = createRepositories(db);
  const totals = await stores.contentState.totals();
  const states: Record<ContentState, { files: number; bytes: number }> = {
    absent: { files: 0, bytes: 0 },
    queued: { files: 0, bytes: 0 },
    downloading: { files: 0, bytes: 0 },
    verified: { files: 0, bytes: 0 },
    failed: { files: 0, bytes: 0 },
  };
  let totalFiles = 0;
  let totalBytes = 0;
  for (const t of totals) {
    if (t.state in states) states[t.state] = { files: t.files, bytes: t.bytes };
    totalFiles += t.files;
    totalBytes += t.bytes;
  }
  const failures = await stores.contentState.recentFailures(20);
  return {
    states,
    totalFiles,
    totalBytes,
    recentFailures: failures.map((f) => ({
      sha1: toSha1Hex(f.sha1),
      name: f.name,
      error: f.lastError,
      attempts: f.attempts,
    })),
  };
}
