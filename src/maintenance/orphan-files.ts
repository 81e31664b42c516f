/**
 * The end of the files step of `patchbay cleanup`: the content store and the database compared both ways.
 * An object no `files` row knows (left by a crash, or copied by hand) is an orphan: listed with its size and,
 * once older than the grace period, deleted. The store only lists published (fully verified) objects, never its
 * `.partial/` and `.tmp/` staging areas, so an in-flight download is never among them; the grace period covers
 * an object published a moment before its row was written. The reverse, a `verified` row whose object is
 * missing, is only reported: `patchbay content verify` queues it for download again.
 */
import { compareStoreAndDatabase } from '../content-sync/index.js';
import type { ContentStore, Repositories } from '../storage/index.js';
import type { CleanupItem } from './cleanup-types.js';

export interface OrphanScanInput {
  readonly repos: Repositories;
  readonly store: ContentStore;
  /** Objects stored at or after this are left alone (a download that has not recorded its row yet). */
  readonly graceCutoff: number;
  readonly dryRun: boolean;
}

export async function scanOrphans(
  input: OrphanScanInput,
): Promise<{ files: number; bytes: number; items: CleanupItem[] }> {
  const { repos, store } = input;
  const { present, missing } = await compareStoreAndDatabase(repos, store);
  // A dry run leaves the journal of an interrupted run in place: those objects are listed by the journal.
  const journaled = new Set(
    (await repos.cleanup.journal(present.size + 1)).map((j) => j.sha1.toString('hex')),
  );
  const keys = [...present].map((h) => Buffer.from(h, 'hex'));
  const known = await repos.cleanup.knownFileSha1s(keys);
  const items: CleanupItem[] = [];
  let files = 0;
  let bytes = 0;
  for (const key of keys) {
    const hex = key.toString('hex');
    if (known.has(hex) || journaled.has(hex)) continue;
    const st = await store.stat(hex);
    // Not (or no longer) a verified object, or one still inside the grace period: a later run decides.
    if (st === undefined || st.storedAt >= input.graceCutoff) continue;
    if (!input.dryRun) await store.delete(hex);
    files++;
    bytes += st.size;
    items.push({
      kind: 'file',
      id: hex,
      detail: 'in the content store, unknown to the database',
      bytes: st.size,
    });
  }
  for (const sha1 of missing)
    items.push({
      kind: 'missing',
      id: sha1.toString('hex'),
      detail:
        'verified in the database, missing from the content store: `patchbay content verify` queues it again',
    });
  return { files, bytes, items };
}
