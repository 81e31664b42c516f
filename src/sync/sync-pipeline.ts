import type { Logger } from 'pino';
import { createAdminServices } from '../admin/index.js';
import { type RuleRunResult, type SupersededDeclinePlan } from '../fleet/index.js';
import type { Config } from '../config/index.js';
import { toAppError, type AppError } from '../errors.js';
import type { ContentStore, DbHandle } from '../storage/index.js';
import {
  downloadAndAnnounce,
  planContent,
  type ContentDownloadResult,
  type ContentProgress,
} from '../content-sync/index.js';
import { runSync, type SyncOptions, type SyncProgress, type SyncResult } from './engine/index.js';
import { isMicrosoftUpdate, runRollup, type RollupRunResult } from './rollup/index.js';
import type { UpstreamTransport } from './upstream-transport/index.js';

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
  /**
   * What the automatic approval rules and switches did with the revisions this sync imported (undefined when
   * it imported none, or when applying them failed: see `rulesError`).
   */
  readonly rules: RuleRunResult | undefined;
  /** Applying the rules failed (the new catalog generation is active; run the rules by hand). */
  readonly rulesError: AppError | undefined;
  /**
   * What `maintenance.auto_decline_superseded` declined after this sync (undefined when it is off or failed:
   * see `supersededError`).
   */
  readonly superseded?: SupersededDeclinePlan | undefined;
  readonly supersededError?: AppError | undefined;
  /** The reporting roll-up to the upstream after the sync (undefined when `[upstream] rollup` does not apply). */
  readonly rollup?: RollupRunResult | undefined;
  /** The roll-up failed (reported, not thrown: the sync committed; the next sync or schedule retries). */
  readonly rollupError?: AppError | undefined;
  readonly content: ContentDownloadResult | undefined;
  /** The content download failed as a whole (the metadata sync still committed). */
  readonly contentError: AppError | undefined;
}

/** The metadata sync options the configuration implies ([upstream] url, [selection], [content] mode). */
export function syncOptionsFromConfig(
  config: Config,
): Pick<SyncOptions, 'upstreamUrl' | 'defaultSelection' | 'contentMode' | 'express' | 'replica'> {
  return {
    upstreamUrl: config.upstream.url,
    replica: config.upstream.mode === 'replica',
    defaultSelection: {
      products: [...config.selection.products],
      classifications: [...config.selection.classifications],
      languages: [...config.selection.languages],
    },
    contentMode: config.content.mode,
    express: config.content.express,
  };
}

/**
 * One synchronization as `patchbay sync` and the schedule run it: the metadata sync (which throws on failure,
 * leaving the previous generation serving), then the automatic approval rules and switches on the revisions
 * it imported (before the download, so that in content mode `approved` the files of rule-approved updates
 * come in the same run), then the content download for `content.mode`. A rules or content failure is
 * reported, not thrown: the new catalog generation is already active and files are retried next time.
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
  // A replica's approvals and declines are the upstream's (applied by the sync itself): no local rules.
  const { rules, rulesError } =
    o.config.upstream.mode === 'replica'
      ? { rules: undefined, rulesError: undefined }
      : await applyApprovalRules(deps, sync.importedRevisionIds);
  const declines = {
    ...(await declineSuperseded(deps, o.config)),
    ...(await rollupAfterSync(deps, o.config)),
  };
  if (o.skipContent === true || o.config.content.mode === 'none')
    return { sync, rules, rulesError, ...declines, content: undefined, contentError: undefined };
  try {
    const content = await downloadAndAnnounce(
      {
        db: deps.db,
        store: deps.store,
        transport: deps.transport,
        ...(deps.logger ? { logger: deps.logger } : {}),
      },
      {
        upstreamUrl: o.config.upstream.url,
        contentHosts: o.config.upstream.contentHosts,
        mode: o.config.content.mode,
        express: o.config.content.express,
        triggerSource: o.triggerSource,
        ...(o.nodeId ? { nodeId: o.nodeId } : {}),
        ...(o.signal ? { signal: o.signal } : {}),
        ...(o.onContentProgress ? { onProgress: o.onContentProgress } : {}),
      },
    );
    return { sync, rules, rulesError, ...declines, content, contentError: undefined };
  } catch (e) {
    const err = toAppError(e);
    if (err.code === 'PB_ERR_SYNC_BUSY') {
      // Another runner (the automatic download, another node) holds the content lease. Its drain takes
      // files queued while it runs, and the automatic download starts a run for any still queued after it:
      // queue this sync's files and leave them to it.
      await planContent(deps.db, o.config.content.mode, Date.now(), {
        express: o.config.content.express,
      }).catch((planErr: unknown) =>
        deps.logger?.warn({ err: planErr }, "could not queue this sync's files; the next run plans them"),
      );
      deps.logger?.info(
        { reason: err.message },
        "content download already running; this sync's files are queued for it",
      );
    } else
      deps.logger?.error(
        { err, code: err.code },
        'content download failed; the synchronized catalog stays active',
      );
    return { sync, rules, rulesError, ...declines, content: undefined, contentError: err };
  }
}

/** Whether `[upstream] rollup` applies: on, and the upstream is a WSUS/Patchbay server (not Microsoft Update). */
export function rollupEnabled(config: Config): boolean {
  return config.upstream.rollup && !isMicrosoftUpdate(config.upstream.url);
}

/**
 * Reporting roll-up after the metadata step, as a WSUS downstream does (MS-WSUSSS <70>). A failure is
 * reported, not thrown: the synchronized catalog is active, and the next sync or scheduled roll-up resends
 * whatever did not go (the outbox only advances on the upstream's answer).
 */
export async function rollupAfterSync(
  deps: Pick<SyncPipelineDeps, 'db' | 'transport' | 'logger'>,
  config: Config,
): Promise<{ rollup?: RollupRunResult; rollupError?: AppError }> {
  if (!rollupEnabled(config)) return {};
  try {
    return {
      rollup: await runRollup(
        { db: deps.db, transport: deps.transport, ...(deps.logger ? { logger: deps.logger } : {}) },
        { upstreamUrl: config.upstream.url },
      ),
    };
  } catch (e) {
    const err = toAppError(e);
    // The code and the reason, not the error with its stack: an upstream without a reporting service answers
    // this at every sync, and it is an expected condition, not a bug to debug.
    deps.logger?.warn(
      { code: err.code, reason: err.message },
      'reporting roll-up to the upstream failed; the synchronized catalog stays active (retried at the next sync or roll-up)',
    );
    return { rollupError: err };
  }
}

/**
 * `maintenance.auto_decline_superseded`: the safe rule of `patchbay decline --superseded` after every sync
 * (after the rules, which may just have approved the superseding updates). Like the rules, a failure is
 * reported, not thrown: the synchronized catalog is active either way.
 */
async function declineSuperseded(
  deps: SyncPipelineDeps,
  config: Config,
): Promise<{ superseded?: SupersededDeclinePlan; supersededError?: AppError }> {
  if (!config.maintenance.autoDeclineSuperseded) return {};
  try {
    const services = createAdminServices(deps.db, {
      declineSupersededAfterDays: config.maintenance.declineSupersededAfterDays,
    });
    const superseded = await services.supersededDeclines.run({}, { via: 'system', name: 'sync' });
    if (superseded.declined.length > 0)
      deps.logger?.info(
        { declined: superseded.declined.length, kept: superseded.kept.length },
        'superseded updates declined by the safe rule',
      );
    return { superseded };
  } catch (e) {
    const err = toAppError(e);
    deps.logger?.error(
      { err, code: err.code },
      'declining superseded updates failed; the synchronized catalog stays active (run patchbay decline --superseded)',
    );
    return { supersededError: err };
  }
}

/**
 * Declines expired arrivals, drops approvals of re-revised updates (per the switches) and applies the enabled
 * rules to the imported revisions' updates; rule-made approvals are audited as `rule:<id>`. They write
 * approvals, so deployment_changes moves on and every node's client scopes follow through the database.
 */
async function applyApprovalRules(
  deps: SyncPipelineDeps,
  revisionIds: readonly number[],
): Promise<{ rules: RuleRunResult | undefined; rulesError: AppError | undefined }> {
  if (revisionIds.length === 0) return { rules: undefined, rulesError: undefined };
  try {
    const rules = await createAdminServices(deps.db, {
      // A rule with a rings plan starts rollouts: the same stable event lines as `serve` writes.
      rolloutEvents: (event, fields) => deps.logger?.info({ event, ...fields }, event),
    }).rules.applyRulesToNewRevisions(revisionIds);
    if (rules.approvals.length + rules.rollouts.length + rules.declined.length + rules.revoked.length > 0)
      deps.logger?.info(
        {
          approvals: rules.approvals.length,
          rollouts: rules.rollouts.length,
          declined: rules.declined.length,
          revoked: rules.revoked.length,
        },
        'automatic approval rules applied to the new revisions',
      );
    return { rules, rulesError: undefined };
  } catch (e) {
    const err = toAppError(e);
    deps.logger?.error(
      { err, code: err.code },
      'automatic approval rules failed; the synchronized catalog stays active (run them with patchbay rules run)',
    );
    return { rules: undefined, rulesError: err };
  }
}
