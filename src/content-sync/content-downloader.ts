import type { Readable } from 'node:stream';
import { pino, type Logger } from 'pino';
import type { ContentMode } from '../domain/index.js';
import { AppError, toAppError, type ErrorCode } from '../errors.js';
import { createRepositories, type ContentStore, type DbHandle, type FileRecord } from '../storage/index.js';
import {
  backoffDelay,
  systemClock,
  systemRandom,
  type Clock,
  type DownloadRequest,
  type DownloadResponse,
  type RandomSource,
} from '../sync/index.js';
import { planContent } from './content-plan.js';
import {
  contentSourceFor,
  contentSourceUrl,
  contentUrlGuard,
  type ContentSourceKind,
} from './content-source.js';
import { processHolder, withJobLease } from '../jobs/index.js';

/** The part of UpstreamTransport the downloader uses (ranges, redirects, retries before the body). */
export interface ContentTransport {
  download(req: DownloadRequest): Promise<DownloadResponse>;
}

export interface ContentDownloadDeps {
  readonly db: DbHandle;
  readonly store: ContentStore;
  readonly transport: ContentTransport;
  readonly logger?: Logger;
  /** Backoff sleeps and retry due-times (tests inject one). */
  readonly clock?: Clock;
  readonly random?: RandomSource;
}

export interface ContentDownloadOptions {
  /** The configured ServerSync URL: its origin serves `/Content/` unless it is Microsoft Update. */
  readonly upstreamUrl: string;
  readonly mode: ContentMode;
  /** `[content] express`: also download express-installation files (default false). */
  readonly express?: boolean;
  /** Default: from the upstream URL (Microsoft Update -> MUUrl, anything else -> its `/Content/`). */
  readonly source?: ContentSourceKind;
  /**
   * Hosts besides the upstream's own that content URLs and redirects may lead to (`[upstream] content_hosts`,
   * default Microsoft's download hosts); see contentUrlGuard.
   */
  readonly contentHosts?: readonly string[];
  /** Files downloaded at the same time (default 4). */
  readonly concurrency?: number;
  /** Attempts per file within one run (default 4), with capped full-jitter backoff between them. */
  readonly attemptsPerRun?: number;
  readonly retryBaseMs?: number;
  readonly retryMaxMs?: number;
  /**
   * A file that failed a whole run is retried by a later run once `failedRetryBaseMs * 2^(attempts-1)`
   * (capped by `failedRetryMaxMs`) has passed since it failed.
   */
  readonly failedRetryBaseMs?: number;
  readonly failedRetryMaxMs?: number;
  readonly nodeId?: string;
  readonly leaseTtlMs?: number;
  readonly triggerSource?: string;
  readonly signal?: AbortSignal;
  readonly onProgress?: (p: ContentProgress) => void;
}

export interface ContentProgress {
  readonly filesTotal: number;
  readonly filesDone: number;
  readonly filesFailed: number;
  readonly bytesTotal: number;
  /** Bytes received from the upstream in this run (a resumed file counts only what was fetched). */
  readonly bytesDownloaded: number;
}

export interface ContentFailure {
  readonly sha1: string;
  readonly code: ErrorCode;
  readonly message: string;
}

export interface ContentDownloadResult {
  readonly syncRunId: number;
  readonly filesQueuedByPlan: number;
  readonly filesTotal: number;
  readonly filesDownloaded: number;
  /** Already in the store (e.g. fetched by another node or restored by `content verify`). */
  readonly filesAlreadyPresent: number;
  readonly filesFailed: number;
  readonly bytesDownloaded: number;
  /** Bytes kept from interrupted downloads and not fetched again. */
  readonly bytesResumed: number;
  readonly failures: readonly ContentFailure[];
  readonly elapsedMs: number;
}

export const contentLeaseName = 'content';
const pageSize = 256;

/** Failures worth another attempt in the same run: the network, a busy upstream, a bad copy in transit. */
const retryableCodes: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'PB_ERR_UPSTREAM_UNAVAILABLE',
  'PB_ERR_UPSTREAM_TIMEOUT',
  'PB_ERR_UPSTREAM_CONNECT',
  'PB_ERR_UPSTREAM_PROXY',
  'PB_ERR_UPSTREAM_PROTOCOL',
  'PB_ERR_CONTENT_DIGEST_MISMATCH',
  'PB_ERR_CONTENT_SIZE_MISMATCH',
  'PB_ERR_CONFLICT',
  'PB_ERR_INTERNAL',
]);

/** An HTTP status says "not now" (5xx, 429, 408) rather than "never" (404, 403). */
function isRetryable(e: AppError): boolean {
  if (e.code !== 'PB_ERR_UPSTREAM_HTTP') return retryableCodes.has(e.code);
  const status = e.detail?.status;
  return typeof status === 'number' && (status >= 500 || status === 429 || status === 408);
}

/**
 * Downloads queued update files into the content store: plans the mode's files (`absent` -> `queued`), then
 * fetches them with bounded concurrency. Each file is resumed from the store's partial with a `Range` request,
 * verified by the store (size, SHA-1, SHA-256) before it becomes visible, and retried with capped jittered
 * backoff; a file whose bytes do not match is never stored, is marked `failed` with the reason and is
 * retried by a later run after a growing delay.
 *
 * Single runner: the `content` job lease (fencing token, renewed while running) keeps several nodes on one
 * database from downloading the same files; a file left `downloading` by a killed process is queued again
 * and resumes from its partial bytes, so a crash costs at most the unwritten tail of the files in flight.
 */
export async function downloadContent(
  deps: ContentDownloadDeps,
  options: ContentDownloadOptions,
): Promise<ContentDownloadResult> {
  const log = (deps.logger ?? pino({ level: 'silent' })).child({ component: 'content-download' });
  const nodeId = options.nodeId ?? processHolder();
  return withJobLease(
    createRepositories(deps.db).jobLeases,
    {
      name: contentLeaseName,
      what: 'a content download',
      holder: nodeId,
      ttlMs: options.leaseTtlMs ?? 5 * 60_000,
      now: () => (deps.clock ?? systemClock).now(),
      logger: log,
      signal: options.signal,
    },
    (signal) => new ContentRun(deps, options, log, nodeId, signal).execute(),
  );
}

class ContentRun {
  readonly #deps: ContentDownloadDeps;
  readonly #o: ContentDownloadOptions;
  readonly #log: Logger;
  readonly #nodeId: string;
  readonly #signal: AbortSignal;
  readonly #clock: Clock;
  readonly #random: RandomSource;
  readonly #source: ContentSourceKind;
  readonly #checkUrl: (url: URL) => Promise<void>;
  readonly #failures: ContentFailure[] = [];
  #filesTotal = 0;
  #bytesTotal = 0;
  #done = 0;
  #already = 0;
  #failed = 0;
  #bytes = 0;
  #resumed = 0;
  #runId = 0;

  constructor(
    deps: ContentDownloadDeps,
    o: ContentDownloadOptions,
    log: Logger,
    nodeId: string,
    signal: AbortSignal,
  ) {
    this.#deps = deps;
    this.#o = o;
    this.#log = log;
    this.#nodeId = nodeId;
    this.#signal = signal;
    this.#clock = deps.clock ?? systemClock;
    this.#random = deps.random ?? systemRandom;
    this.#source = o.source ?? contentSourceFor(o.upstreamUrl);
    this.#checkUrl = contentUrlGuard(o.upstreamUrl, o.contentHosts);
  }

  get #repos() {
    return createRepositories(this.#deps.db);
  }

  async execute(): Promise<ContentDownloadResult> {
    const started = this.#clock.now();
    const repos = this.#repos;
    const run = await repos.syncRuns.start(
      { kind: 'content', triggerSource: this.#o.triggerSource ?? 'manual', nodeId: this.#nodeId },
      started,
    );
    this.#runId = run.syncRunId;
    const log = this.#log.child({ syncRunId: run.syncRunId });
    try {
      // We hold the lease: a file still `downloading` was abandoned by a process that died; its partial
      // bytes stay in the store and the next attempt resumes from them.
      const stuck = await this.#listState('downloading', 100_000);
      if (stuck.length > 0) {
        await repos.files.setState(
          stuck.map((f) => f.sha1),
          'queued',
          null,
          this.#clock.now(),
        );
        log.info({ files: stuck.length }, 'resuming downloads left by an interrupted run');
      }
      const plan = await planContent(this.#deps.db, this.#o.mode, this.#clock.now(), {
        express: this.#o.express ?? false,
      });
      const due = await this.#failedDue();
      if (due.length > 0)
        await repos.files.setState(
          due.map((f) => f.sha1),
          'queued',
          null,
          this.#clock.now(),
        );
      const queued = await repos.contentState.totalIn('queued');
      this.#filesTotal = queued.files;
      this.#bytesTotal = queued.bytes;
      log.info(
        {
          mode: this.#o.mode,
          source: this.#source,
          planned: plan.queued,
          files: this.#filesTotal,
          bytes: this.#bytesTotal,
        },
        'content download starting',
      );
      this.#progress();
      if (this.#o.mode !== 'none' || this.#filesTotal > 0) await this.#drain(log);
      const result = this.#result(plan.queued, started);
      await this.#finish(
        result.filesFailed > 0 ? 'partial' : 'succeeded',
        result.filesFailed > 0 ? failuresError(result.failures, result.filesFailed) : undefined,
      );
      log.info(
        {
          downloaded: result.filesDownloaded,
          failed: result.filesFailed,
          bytes: result.bytesDownloaded,
          resumedBytes: result.bytesResumed,
          elapsedMs: result.elapsedMs,
        },
        'content download finished',
      );
      return result;
    } catch (e) {
      const err = toAppError(e);
      await this.#finish('failed', err);
      throw err;
    }
  }

  #result(planned: number, started: number): ContentDownloadResult {
    return {
      syncRunId: this.#runId,
      filesQueuedByPlan: planned,
      filesTotal: this.#filesTotal,
      filesDownloaded: this.#done - this.#already,
      filesAlreadyPresent: this.#already,
      filesFailed: this.#failed,
      bytesDownloaded: this.#bytes,
      bytesResumed: this.#resumed,
      failures: [...this.#failures],
      elapsedMs: this.#clock.now() - started,
    };
  }

  async #finish(outcome: 'succeeded' | 'partial' | 'failed', err?: AppError): Promise<void> {
    const repos = this.#repos;
    try {
      await repos.syncRuns.addCounters(this.#runId, this.#counters(), this.#clock.now());
      await repos.syncRuns.finish(
        this.#runId,
        {
          outcome,
          ...(err ? { error: { code: err.code, message: err.message, detail: err.detail } } : {}),
        },
        this.#clock.now(),
      );
    } catch (e) {
      // A metadata sync starting elsewhere may have closed our row as abandoned; the files table is the truth.
      this.#log.warn({ err: e, syncRunId: this.#runId }, 'could not record the content run outcome');
    }
  }

  #counters(): Record<string, number> {
    return {
      filesQueued: this.#filesTotal,
      filesDownloaded: this.#done - this.#already,
      filesAlreadyPresent: this.#already,
      filesFailed: this.#failed,
      bytesDownloaded: this.#bytes,
      bytesResumed: this.#resumed,
    };
  }

  #progress(): void {
    this.#o.onProgress?.({
      filesTotal: this.#filesTotal,
      filesDone: this.#done,
      filesFailed: this.#failed,
      bytesTotal: this.#bytesTotal,
      bytesDownloaded: this.#bytes,
    });
  }

  async #listState(state: 'downloading' | 'queued' | 'failed', limit: number): Promise<FileRecord[]> {
    return this.#repos.files.listByState(state, limit);
  }

  /** Failed files whose retry delay (growing with their attempts) has passed. */
  async #failedDue(): Promise<FileRecord[]> {
    const base = this.#o.failedRetryBaseMs ?? 15 * 60_000;
    const max = this.#o.failedRetryMaxMs ?? 24 * 3600_000;
    const now = this.#clock.now();
    const failed = await this.#listState('failed', 100_000);
    // The delay grows per failed run, not per attempt: a run makes up to attemptsPerRun attempts.
    const perRun = Math.max(1, this.#o.attemptsPerRun ?? 4);
    const runs = (f: FileRecord) => Math.ceil(f.attempts / perRun);
    return failed.filter(
      (f) => f.stateChangedAt + Math.min(max, base * 2 ** Math.min(30, Math.max(0, runs(f) - 1))) <= now,
    );
  }

  /** Bounded-concurrency workers over pages of the queue; a page is claimed before it is worked on. */
  async #drain(log: Logger): Promise<void> {
    const concurrency = Math.max(1, Math.min(64, this.#o.concurrency ?? 4));
    let page: FileRecord[] = [];
    let exhausted = false;
    let loading: Promise<void> | undefined;
    const claimed = new Set<string>();
    const next = async (): Promise<FileRecord | undefined> => {
      for (;;) {
        if (this.#signal.aborted) return undefined;
        const f = page.shift();
        if (f !== undefined) return f;
        if (exhausted) return undefined;
        // One loader at a time; the others wait for its page.
        loading ??= (async () => {
          const rows = await this.#listState('queued', pageSize);
          const fresh = rows.filter((r) => !claimed.has(r.sha1.toString('hex')));
          if (fresh.length === 0) exhausted = true;
          for (const r of fresh) claimed.add(r.sha1.toString('hex'));
          page.push(...fresh);
        })().finally(() => {
          loading = undefined;
        });
        await loading;
      }
    };
    const worker = async () => {
      for (let f = await next(); f !== undefined; f = await next()) await this.#one(f, log);
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    page = [];
    this.#signal.throwIfAborted();
  }

  async #one(file: FileRecord, log: Logger): Promise<void> {
    const repos = this.#repos;
    const hex = file.sha1.toString('hex').toUpperCase();
    const attempts = Math.max(1, this.#o.attemptsPerRun ?? 4);
    let last: AppError | undefined;
    for (let n = 1; n <= attempts; n++) {
      // Every attempt counts (setState to downloading adds one), so `content status` agrees with the log.
      await repos.files.setState([file.sha1], 'downloading', null, this.#clock.now());
      try {
        const already = await this.#fetchOnce(file, hex);
        await repos.files.setState([file.sha1], 'verified', null, this.#clock.now());
        this.#done++;
        if (already) this.#already++;
        this.#progress();
        return;
      } catch (e) {
        if (this.#signal.aborted) {
          // Stopped, not failed: queued again so the next run resumes from the partial bytes.
          await repos.files.setState([file.sha1], 'queued', null, this.#clock.now()).catch(() => undefined);
          return;
        }
        last = toAppError(e);
        const retry = isRetryable(last) && n < attempts;
        log.warn(
          { sha1: hex, attempt: n, code: last.code, err: last.message, retry },
          'content download attempt failed',
        );
        if (!retry) break;
        const delay = backoffDelay(
          n - 1,
          { baseDelayMs: this.#o.retryBaseMs ?? 1_000, maxDelayMs: this.#o.retryMaxMs ?? 60_000 },
          this.#random,
        );
        try {
          await this.#clock.sleep(delay, this.#signal);
        } catch {
          await repos.files.setState([file.sha1], 'queued', null, this.#clock.now()).catch(() => undefined);
          return;
        }
      }
    }
    const err = last ?? new AppError('PB_ERR_INTERNAL', 'download failed without an error');
    await repos.files.setState([file.sha1], 'failed', `${err.code}: ${err.message}`, this.#clock.now());
    this.#failed++;
    if (this.#failures.length < 1000)
      this.#failures.push({ sha1: hex, code: err.code, message: err.message });
    this.#progress();
  }

  /** One attempt: resume from the partial when there is one. Returns true when the store already had it. */
  async #fetchOnce(file: FileRecord, hex: string): Promise<boolean> {
    const store = this.#deps.store;
    const expected = {
      sha1: file.sha1,
      size: file.size,
      ...(file.sha256 !== null && file.sha256.length === 32 ? { sha256: file.sha256 } : {}),
    };
    if (await store.has(file.sha1)) {
      // Same digest, same size: the store checks both (and the SHA-256) without reading a source.
      await store.ingest([], expected);
      return true;
    }
    let resume = await store.partialSize(file.sha1);
    if (resume > file.size) {
      await store.discardPartial(file.sha1);
      resume = 0;
    }
    if (resume > 0 && resume === file.size) {
      // Every byte arrived before a crash but the object was never published: verify what we have.
      this.#resumed += resume;
      await store.ingest([], expected, { resumeFrom: resume, signal: this.#signal });
      return false;
    }
    const url = contentSourceUrl(file, this.#source, this.#o.upstreamUrl);
    if (url === undefined)
      throw new AppError('PB_ERR_NOT_FOUND', `no download URL for ${hex} (the upstream sent no MUUrl)`, {
        detail: { sha1: hex },
      });
    const res = await this.#deps.transport
      .download({
        url,
        ...(resume > 0 ? { range: { start: resume } } : {}),
        signal: this.#signal,
        maxBytes: file.size,
        checkUrl: this.#checkUrl,
      })
      .catch((e: unknown) => {
        throw longerThanDeclared(e, file.size, hex);
      });
    let from = 0;
    try {
      if (res.status === 206) {
        const cr = res.contentRange;
        if (cr === undefined || cr.start !== resume || (cr.total !== undefined && cr.total !== file.size)) {
          // Not the slice we asked for: start over rather than splice unrelated bytes.
          await store.discardPartial(file.sha1);
          throw new AppError('PB_ERR_UPSTREAM_PROTOCOL', `unexpected Content-Range for ${hex}`, {
            detail: { sha1: hex, asked: resume, got: cr },
          });
        }
        from = resume;
      } else if (res.contentLength !== undefined && res.contentLength !== file.size) {
        throw new AppError(
          'PB_ERR_CONTENT_SIZE_MISMATCH',
          `upstream announces ${res.contentLength} bytes for ${hex}, the update metadata ${file.size}`,
          { detail: { sha1: hex, expected: file.size, declared: res.contentLength } },
        );
      }
      if (from > 0) this.#resumed += from;
      await store
        .ingest(this.#count(res.body), expected, { resumeFrom: from, signal: this.#signal })
        .catch((e: unknown) => {
          throw longerThanDeclared(e, file.size, hex);
        });
      return false;
    } finally {
      abandon(res.body);
    }
  }

  async *#count(body: Readable): AsyncGenerator<Uint8Array> {
    for await (const chunk of body as AsyncIterable<Uint8Array>) {
      this.#bytes += chunk.length;
      this.#progress();
      yield chunk;
    }
  }
}

/** Files listed by name in a partial run's history entry; the files table keeps every file's reason. */
const failuresInHistory = 50;

/**
 * The history entry of a run with failed files: the most frequent typed error as its code, a count per code
 * in the message and the first files with their own code and message, so `sync history` says why.
 */
function failuresError(failures: readonly ContentFailure[], failed: number): AppError {
  const byCode = new Map<ErrorCode, number>();
  for (const f of failures) byCode.set(f.code, (byCode.get(f.code) ?? 0) + 1);
  const ranked = [...byCode].sort((a, b) => b[1] - a[1]);
  const code = ranked[0]?.[0] ?? 'PB_ERR_INTERNAL';
  const counts = ranked.map(([c, n]) => `${c} x${n}`).join(', ');
  return new AppError(code, `${failed} file${failed === 1 ? '' : 's'} failed to download (${counts})`, {
    detail: { filesFailed: failed, failures: failures.slice(0, failuresInHistory) },
  });
}

/**
 * The transport stops a body past `maxBytes` (the document's size) as PB_ERR_UPSTREAM_TOO_LARGE; for a file
 * that means the upstream's copy does not match the update metadata, which is what the admin should read.
 */
function longerThanDeclared(e: unknown, size: number, hex: string): unknown {
  if (!(e instanceof AppError) || e.code !== 'PB_ERR_UPSTREAM_TOO_LARGE') return e;
  return new AppError(
    'PB_ERR_CONTENT_SIZE_MISMATCH',
    `upstream sends more than the ${size} bytes the update metadata declares for ${hex}`,
    { detail: { sha1: hex, expected: size, ...e.detail } },
  );
}

/** Frees an undici body that was not read to its end (an error event without a listener would crash). */
function abandon(body: Readable): void {
  if (body.destroyed) return;
  body.on('error', () => undefined);
  body.destroy();
}
