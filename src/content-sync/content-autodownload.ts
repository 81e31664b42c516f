import type { Logger } from 'pino';
import type { ContentMode } from '../domain/index.js';
import { isAppError } from '../errors.js';
import { createRepositories, type DbHandle, type RevisionIdentity } from '../storage/index.js';
import {
  downloadContent,
  type ContentDownloadDeps,
  type ContentDownloadOptions,
  type ContentDownloadResult,
} from './content-downloader.js';
import type { ContentChangeStores } from './content-ports.js';
import { planContent } from './content-plan.js';

/** Bundles nest only a level or two deep; this bounds a bad graph. */
const maxBundleDepth = 8;

/**
 * Appends a `content` deployment change for each approved update that uses one of these files (itself or
 * through the bundles that install it). The client service withholds an approved update until its files are
 * stored (content modes approved/all); this change is what makes every node recompile its client scopes and
 * what puts the update in the clients' ChangedUpdates once its files arrive (or are withdrawn).
 */
export async function announceContentChange(
  db: DbHandle,
  sha1s: readonly Buffer[],
  now = Date.now(),
): Promise<number> {
  const stores: ContentChangeStores = createRepositories(db);
  const changes = stores.contentChanges;
  const updateIds = new Set<string>();
  let frontier = await changes.revisionsUsingFiles(sha1s);
  for (let depth = 0; frontier.length > 0 && depth <= maxBundleDepth; depth++) {
    const next: RevisionIdentity[] = [];
    for (const f of frontier) {
      if (updateIds.has(f.updateId)) continue;
      updateIds.add(f.updateId);
      next.push(...(await changes.bundlesInstalling(f)));
    }
    frontier = next;
  }
  const approved = await changes.installApprovedAmong([...updateIds]);
  if (approved.length === 0) return 0;
  await stores.deploymentChanges.append(
    approved.sort().map((updateId) => ({
      updateId,
      revisionId: null,
      groupId: null,
      generationId: null,
      kind: 'content',
    })),
    now,
  );
  return approved.length;
}

/**
 * `downloadContent`, then the deployment changes for the approved updates whose files arrived in the run:
 * every caller that downloads (the schedule, `patchbay content download`, the automatic download) uses this,
 * so clients get an update on their next scan once its files are stored.
 */
export async function downloadAndAnnounce(
  deps: ContentDownloadDeps,
  options: ContentDownloadOptions,
): Promise<ContentDownloadResult> {
  const now = (): number => deps.clock?.now() ?? Date.now();
  const started = now();
  try {
    return await downloadContent(deps, options);
  } finally {
    // Also after a failed or interrupted run: the files it did store are servable.
    const arrived = await createRepositories(deps.db).contentState.verifiedSince(started);
    if (arrived.length > 0) await announceContentChange(deps.db, arrived, now());
  }
}

export interface ContentAutoDownloadOptions {
  readonly db: DbHandle;
  readonly mode: ContentMode;
  /** `[content] express` (default false). */
  readonly express?: boolean;
  readonly logger: Logger;
  /** One lease-guarded download run (`downloadAndAnnounce` with the server's transport and store). */
  readonly download: (signal: AbortSignal) => Promise<ContentDownloadResult>;
  /** How often the queue and the deployment change log are looked at (default 5 s). */
  readonly pollMs?: number;
}

/**
 * Downloads the files of newly approved updates within seconds instead of at the next scheduled sync. An
 * approval in this process kicks it at once; one made elsewhere (the CLI, another node) moves the deployment
 * change sequence, which the poll notices. Then the mode's files are queued (`planContent`) and, when any are
 * queued, one download run starts; the `content` job lease keeps a cluster to one runner (a node that finds
 * it held just looks again at the next poll).
 */
export class ContentAutoDownload {
  readonly #o: ContentAutoDownloadOptions;
  readonly #abort = new AbortController();
  #seenSeq = -1;
  #kicked = false;
  #running: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(o: ContentAutoDownloadOptions) {
    this.#o = o;
  }

  start(): void {
    if (this.#o.mode === 'none' || this.#timer !== undefined) return;
    this.#timer = setInterval(() => this.#poll(), this.#o.pollMs ?? 5_000);
    this.#timer.unref();
    this.#poll();
  }

  /** Approvals were written here: plan and download now. */
  kick(): void {
    if (this.#o.mode === 'none' || this.#timer === undefined) return;
    this.#kicked = true;
    this.#poll();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#abort.abort();
    await this.#running;
  }

  #poll(): void {
    if (this.#running !== undefined || this.#abort.signal.aborted) return;
    this.#running = this.#tick()
      .catch((err: unknown) => {
        if (isAppError(err) && err.code === 'PB_ERR_SYNC_BUSY')
          this.#o.logger.debug('content download runs elsewhere; looking again at the next poll');
        else if (!this.#abort.signal.aborted)
          this.#o.logger.warn({ err }, 'automatic content download failed');
      })
      .finally(() => {
        this.#running = undefined;
        if (this.#kicked && !this.#abort.signal.aborted) this.#poll();
      });
  }

  async #tick(): Promise<void> {
    const repos = createRepositories(this.#o.db);
    const seq = await repos.deploymentChanges.latestSeq();
    if (this.#kicked || seq !== this.#seenSeq) {
      this.#kicked = false;
      await planContent(this.#o.db, this.#o.mode, Date.now(), { express: this.#o.express ?? false });
      this.#seenSeq = seq;
    }
    if ((await repos.files.listByState('queued', 1)).length === 0) return;
    const r = await this.#o.download(this.#abort.signal);
    this.#o.logger.info(
      { downloaded: r.filesDownloaded, failed: r.filesFailed, bytes: r.bytesDownloaded },
      'approved content downloaded',
    );
  }
}
