import type { Logger } from 'pino';
import type { Config } from '../config/index.js';
import { toAppError, type AppError } from '../errors.js';
import type { ContentStore, DbHandle } from '../storage/index.js';
import {
  runSync,
  type SyncOptions,
  type SyncProgress,
  type SyncResult,
  type UpstreamTransport,
} from '../sync/index.js';
import { downloadContent, type ContentDownloadResult, type ContentProgress } from './content-downloader.js';

export interface SyncPipelineDeps {
  readonly db: DbHandle;
  readonly store: ContentStore;
  readonly transport: UpstreamTransport;
  readonly logger?: Logger;
}

export interface SyncPipelineOptions {
  readonly config: Config;
  readonly triggerSource: string;
  readonly nodeId?: string;
  /** Skip the content download (`patchbay sync --no-content`). */
  readonly skipContent?: boolean;
  readonly signal?: AbortSignal;
  readonly onSyncProgress?: (p: SyncProgress) => void;
  readonly onContentProgress?: (p: ContentProgress) => void;
}

export interface SyncPipelineResult {
  readonly sync: SyncResult;
  readonly content: ContentDownloadResult | undefined;
  /** The content download failed as a whole (the metadata sync still committed). */
  readonly contentError: AppError | undefined;
}

/** The metadata sync options the configuration implies ([upstream] url, [selection], [content] mode). */
export function syncOptionsFromConfig(
  config: Config,
): Pick<SyncOptions, 'upstreamUrl' | 'defaultSelection' | 'contentMode'> {
  return {
    upstreamUrl: config.upstream.url,
    defaultSelection: {
      products: [...config.selection.products],
      classifications: [...config.selection.classifications],
      languages: [...config.selection.languages],
    },
    contentMode: config.content.mode,
  };
}

/**
 * One synchronization as `patchbay sync` and the schedule run it: the metadata sync (which throws on failure,
 * leaving the previous generation serving), then the content download for `content.mode`. A content failure
 * is reported, not thrown: the new catalog generation is already active and files are retried next time.
 */
export async function runSyncPipeline(
  deps: SyncPipelineDeps,
  o: SyncPipelineOptions,
): Promise<SyncPipelineResult> {
  const sync = await runSync(
    { db: deps.db, transport: deps.transport, ...(deps.logger ? { logger: deps.logger } : {}) },
    {
      ...syncOptionsFromConfig(o.config),
      triggerSource: o.triggerSource,
      ...(o.nodeId ? { nodeId: o.nodeId } : {}),
      ...(o.onSyncProgress ? { onProgress: o.onSyncProgress } : {}),
    },
  );
  if (o.skipContent === true || o.config.content.mode === 'none')
    return { sync, content: undefined, contentError: undefined };
  try {
    const content = await downloadContent(
      {
        db: deps.db,
        store: deps.store,
        transport: deps.transport,
        ...(deps.logger ? { logger: deps.logger } : {}),
      },
      {
        upstreamUrl: o.config.upstream.url,
        mode: o.config.content.mode,
        triggerSource: o.triggerSource,
        ...(o.nodeId ? { nodeId: o.nodeId } : {}),
        ...(o.signal ? { signal: o.signal } : {}),
        ...(o.onContentProgress ? { onProgress: o.onContentProgress } : {}),
      },
    );
    return { sync, content, contentError: undefined };
  } catch (e) {
    const err = toAppError(e);
    deps.logger?.error(
      { err, code: err.code },
      'content download failed; the synchronized catalog stays active',
    );
    return { sync, content: undefined, contentError: err };
  }
}
