/**
 * The files step of `patchbay cleanup`: content no approval needs, removed database first, store second, with
 * a journal in between (migration 0013) so that a kill -9 leaves neither a row that says "verified" for a
 * missing object nor an object the database forgot without a journal entry the next run finishes.
 */
import type { ContentMode } from '../domain/index.js';
import type { Pacer } from '../jobs/index.js';
import {
  type CleanupFileRow,
  type ContentStore,
  type FileRemoval,
  type Repositories,
} from '../storage/index.js';
import type { CleanupItem } from './cleanup-types.js';
import { scanOrphans } from './orphan-files.js';

const dayMs = 86_400_000;
/** Files per page, and so per transaction (cleanupBatchSize's reasoning; a file row has no cascade). */
const pageSize = 1_000;
/** Far above what one page can leave behind (pageSize). */
const journalLimit = 50_000;
/** Bundles nest a level or two; the same bound as the content plan. */
const maxBundleDepth = 8;

export interface FileStepInput {
  readonly repos: Repositories;
  readonly store: ContentStore;
  readonly mode: ContentMode;
  readonly unapprovedFileDays: number;
  /** Rows younger than this are a running sync's: never forgotten. */
  readonly graceCutoff: number;
  readonly now: number;
  readonly dryRun: boolean;
  /** What earlier steps of this run removed or declined (so a dry run sees what the real run will). */
  readonly removedRevisions: ReadonlySet<number>;
  readonly declinedUpdates: ReadonlySet<string>;
  /** Yields to the event loop between pages (src/jobs/pacer.ts). */
  readonly pace: Pacer;
  /** Test hook: called after a page's database transaction, before its objects are deleted. */
  readonly beforeObjectDeletes?: () => Promise<void>;
}

export interface FileStepResult {
  readonly rows: number;
  readonly files: number;
  readonly bytes: number;
  readonly items: CleanupItem[];
}

/**
 * The SHA-1s every stored generation still needs: in `all` content mode, or while a downstream server is
 * registered (it may be a replica in `all` mode and fetch any file of what we serve), every file of every
 * member; otherwise the files of updates approved for installation (not declined, not declined by this run)
 * and of the bundle members they install through, as the content plan queues them, in every stored
 * generation, so a rollback to a kept generation finds its files.
 */
async function neededFiles(input: FileStepInput): Promise<Set<string>> {
  const { repos } = input;
  const plan = repos.contentPlan;
  const keepAll = input.mode === 'all' || (await repos.downstreamServers.list()).length > 0;
  const approved = keepAll
    ? []
    : (await plan.installApprovedUpdateIds()).filter((u) => !input.declinedUpdates.has(u));
  const revisions = new Set<number>();
  for (const g of await repos.cleanup.storedGenerationIds()) {
    await input.pace();
    if (keepAll) {
      for (const id of await plan.memberRevisionIds(g)) revisions.add(id);
      continue;
    }
    let frontier = await plan.memberRevisionIdsOfUpdates(g, approved);
    for (let depth = 0; frontier.length > 0 && depth <= maxBundleDepth; depth++) {
      for (const id of frontier) revisions.add(id);
      frontier = (await plan.bundledRevisionIds(frontier)).filter((id) => !revisions.has(id));
    }
  }
  return new Set((await plan.fileSha1sOf([...revisions])).map((b) => b.toString('hex')));
}

/** The rule for one file no stored generation needs; undefined keeps it. */
function decide(
  row: CleanupFileRow,
  refs: readonly { revisionId: number; updateId: string; declined: boolean }[],
  input: FileStepInput,
): { action: FileRemoval['action']; why: string } | undefined {
  const live = refs.filter((r) => !input.removedRevisions.has(r.revisionId));
  if (live.length === 0)
    return row.createdAt < input.graceCutoff
      ? { action: 'forget', why: 'no stored revision names it' }
      : undefined;
  if (row.state !== 'verified' && row.state !== 'queued' && row.state !== 'failed') return undefined;
  if (live.every((r) => r.declined || input.declinedUpdates.has(r.updateId)))
    return { action: 'evict', why: 'every update that names it is declined' };
  if (row.stateChangedAt < input.now - input.unapprovedFileDays * dayMs)
    return {
      action: 'evict',
      why: `no approval needs it, stored ${input.unapprovedFileDays}+ days`,
    };
  return undefined;
}

/** Runs (or plans) the files step, finishing an interrupted run's journal first. */
export async function cleanFiles(input: FileStepInput): Promise<FileStepResult> {
  const { repos, store } = input;
  const items: CleanupItem[] = [];
  let rows = 0;
  let files = 0;
  let bytes = 0;

  // 1. What an interrupted run committed but did not delete from the store.
  const recovered = await finishJournal(repos, store, input.dryRun);
  items.push(...recovered.items);
  files += recovered.files;
  bytes += recovered.bytes;

  // 2. Files no stored generation needs.
  const needed = await neededFiles(input);
  for (let after: Buffer | undefined; ;) {
    await input.pace();
    const page = await repos.cleanup.fileRows({ ...(after ? { afterSha1: after } : {}), limit: pageSize });
    if (page.length === 0) break;
    after = page.at(-1)!.sha1;
    const unneeded = page.filter((r) => !needed.has(r.sha1.toString('hex')));
    const refs = await repos.cleanup.fileReferences(unneeded.map((r) => r.sha1));
    const removals: FileRemoval[] = [];
    const stored = new Set<string>();
    const why = new Map<string, string>();
    for (const row of unneeded) {
      const hex = row.sha1.toString('hex');
      const d = decide(row, refs.get(hex) ?? [], input);
      if (d === undefined) continue;
      removals.push({ sha1: row.sha1, size: row.size, action: d.action });
      why.set(hex, d.why);
      if (await store.has(hex)) stored.add(hex);
    }
    const done = input.dryRun ? removals : await repos.cleanup.removeFiles(removals, stored, input.now);
    if (!input.dryRun && stored.size > 0) {
      await input.beforeObjectDeletes?.();
      const journaled = done.filter((f) => stored.has(f.sha1.toString('hex')));
      for (const f of journaled)
        if (!(await keepsItsObject(repos, f.sha1))) await deleteObject(store, f.sha1.toString('hex'));
      await repos.cleanup.clearJournal(journaled.map((f) => f.sha1));
    }
    for (const f of done) {
      const hex = f.sha1.toString('hex');
      const had = stored.has(hex);
      if (f.action === 'forget') rows++;
      if (had) {
        files++;
        bytes += f.size;
      }
      items.push({ kind: 'file', id: hex, detail: why.get(hex) ?? '', bytes: had ? f.size : 0 });
    }
    if (page.length < pageSize) break;
  }

  // 3. The store and the database compared: orphan objects, and verified rows without their object.
  const orphans = await scanOrphans({
    repos,
    store,
    graceCutoff: input.graceCutoff,
    dryRun: input.dryRun,
  });
  items.push(...orphans.items);
  return { rows, files: files + orphans.files, bytes: bytes + orphans.bytes, items };
}

/**
 * Finishes what an interrupted cleanup committed but did not delete from the store (the journal of migration
 * 0013): each journaled object is deleted unless its file was downloaded again since, then the journal is
 * cleared. The journal holds one page at most (every page clears its entries before the next is planned).
 * `serve` runs it at start, every cleanup before its first step; a dry run only lists it.
 */
export async function finishJournal(
  repos: Repositories,
  store: ContentStore,
  dryRun: boolean,
): Promise<{ files: number; bytes: number; items: CleanupItem[] }> {
  const items: CleanupItem[] = [];
  let files = 0;
  let bytes = 0;
  const journal = await repos.cleanup.journal(journalLimit);
  for (const e of journal) {
    const hex = e.sha1.toString('hex');
    if (await keepsItsObject(repos, e.sha1)) continue;
    const had = await store.has(hex);
    if (!dryRun) await deleteObject(store, hex);
    if (had) {
      files++;
      bytes += e.size;
    }
    items.push({ kind: 'file', id: hex, detail: interruptedDetail, bytes: had ? e.size : 0 });
  }
  if (!dryRun) await repos.cleanup.clearJournal(journal.map((e) => e.sha1));
  return { files, bytes, items };
}

/** The item detail of a deletion an interrupted cleanup left to do. */
export const interruptedDetail = 'finishing an interrupted cleanup';

/** A journaled file that was queued and downloaded again since keeps its (new) object. */
async function keepsItsObject(repos: Repositories, sha1: Buffer): Promise<boolean> {
  const state = await repos.cleanup.fileState(sha1);
  return state === 'verified' || state === 'downloading';
}

async function deleteObject(store: ContentStore, hex: string): Promise<void> {
  await store.delete(hex);
  await store.discardPartial(hex);
}
