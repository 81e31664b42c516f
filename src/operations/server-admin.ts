/**
 * The server operations the REST API offers beside the fleet services (issue 15 "REST parity"): status, the
 * synchronization, the catalog (quarantine, rollback, pin), content, the selection and the run-time settings.
 * Each calls the function the matching `patchbay` command calls; long operations (sync, content verify and
 * download) run as jobs (src/jobs/job-runner.ts) the caller polls or streams. Every change is audited under
 * the caller's name.
 */
import type { Logger } from 'pino';
import type { AdminServices } from '../admin/index.js';
import { effectiveConfigObject, type Config } from '../config/index.js';
import { contentStatus, downloadAndAnnounce, verifyContent } from '../content-sync/index.js';
import { AppError } from '../errors.js';
import type { AdminActor, RuleSwitches, TargetingMode } from '../fleet/index.js';
import { checkStaleSync, describeHolder, JobRunner, processHolder, type JobView } from '../jobs/index.js';
import { createRepositories, type ContentStore, type DbHandle } from '../storage/index.js';
import {
  catalogStatus,
  getSelection,
  listQuarantine,
  planRollback,
  rollbackCatalog,
  runSyncPipeline,
  transportOptionsFromConfig,
  unpinCatalog,
  UpstreamTransport,
  type SyncPipelineResult,
} from '../sync/index.js';
import {
  configSelection,
  listSelection,
  replaceSelection,
  storeSelection,
  type SelectionKind,
} from './selection-admin.js';
import { serverStatus } from './server-status.js';
import { phaseCounter, syncStatus, syncSummary } from './sync-admin.js';

export interface ServerAdminDeps {
  readonly db: DbHandle;
  readonly config: Config;
  readonly store: ContentStore;
  readonly services: AdminServices;
  readonly jobs: JobRunner;
  /** This node (processHolder()): the lease holder of the syncs and downloads it runs. */
  readonly nodeId: string;
  readonly version: string;
  /** Where the database is, as `patchbay status` prints it (no password). */
  readonly databaseLocation: string;
  readonly logger?: Logger;
  /** What a cleanup would reclaim now (`patchbay status` shows it too). */
  readonly cleanupEstimate?: () => Promise<{ rows: number; files: number; bytes: number }>;
  /** Told when a sync job finished (main records its metrics). */
  readonly onSyncFinished?: (r: SyncPipelineResult, startedAt: number) => void;
}

/** Settings an administrator may change while the server runs (PATCH /api/v1/settings). */
export const runtimeSettings = ['targetingMode', 'ruleSwitches'] as const;

export interface RuntimeSettingsPatch {
  readonly targetingMode?: TargetingMode;
  readonly ruleSwitches?: Partial<RuleSwitches>;
}

export class ServerAdmin {
  constructor(private readonly d: ServerAdminDeps) {}

  /** `patchbay status --json`. */
  async status() {
    const s = await serverStatus(this.d.db, this.d.config, {
      version: this.d.version,
      databaseLocation: this.d.databaseLocation,
    });
    return { ...s, ...(this.d.cleanupEstimate ? { cleanup: await this.d.cleanupEstimate() } : {}) };
  }

  /** `patchbay sync status --json`, plus the API sync job running now (if any). */
  async syncStatus() {
    const { lastGoodAgeMs: _age, ...s } = await syncStatus(this.d.db, this.d.config);
    const job = await createRepositories(this.d.db).jobs.holding('sync');
    return { ...s, job: job === undefined ? null : await this.d.jobs.get(job.jobId) };
  }

  /** `patchbay sync history --json`. */
  syncHistory(limit: number) {
    return createRepositories(this.d.db).syncRuns.list(limit);
  }

  /**
   * `patchbay sync` as a job. Refused with PB_ERR_SYNC_BUSY (409) while a synchronization runs anywhere in
   * the cluster: an API job (its id in the problem's context), the schedule or a `patchbay sync` process.
   */
  async startSync(actor: string, o: { content?: boolean } = {}): Promise<JobView> {
    const repos = createRepositories(this.d.db);
    const lease = await repos.jobLeases.get('sync');
    if (
      lease !== undefined &&
      lease.expiresAt > Date.now() &&
      (await repos.jobs.holding('sync')) === undefined
    )
      throw new AppError(
        'PB_ERR_SYNC_BUSY',
        `another synchronization is running (${describeHolder(lease)})`,
        {
          detail: { jobId: null, holder: lease.holder, since: lease.acquiredAt },
        },
      );
    const { config, db, store, logger } = this.d;
    const job = await this.d.jobs.start(
      'sync',
      actor,
      async ({ signal, progress }) => {
        const transport = new UpstreamTransport(transportOptionsFromConfig(config, logger ? { logger } : {}));
        const counter = phaseCounter();
        const started = Date.now();
        try {
          const r = await runSyncPipeline(
            { db, store, transport, ...(logger ? { logger } : {}) },
            {
              config,
              triggerSource: 'api',
              nodeId: this.d.nodeId,
              skipContent: o.content === false,
              signal,
              onSyncProgress: (p) => {
                const { value, total } = counter(p);
                progress({ done: value, total, phase: p.phase });
              },
              onContentProgress: (p) =>
                progress({ done: p.filesDone, total: p.filesTotal, phase: 'content' }),
            },
          );
          this.d.onSyncFinished?.(r, started);
          return syncSummary(r, Date.now() - started);
        } finally {
          await transport.close();
        }
      },
      { exclusive: true },
    );
    await this.#audit(actor, 'sync.start', 'job', job.id, { content: o.content !== false });
    return job;
  }

  /** `patchbay content verify` as a job. */
  async startContentVerify(actor: string): Promise<JobView> {
    const job = await this.d.jobs.start(
      'content-verify',
      actor,
      async ({ signal, progress }) => {
        progress({ done: 0, total: 0, phase: 'verify' });
        return verifyContent(
          { db: this.d.db, store: this.d.store, ...(this.d.logger ? { logger: this.d.logger } : {}) },
          { signal },
        );
      },
      { exclusive: true },
    );
    await this.#audit(actor, 'content.verify', 'job', job.id);
    return job;
  }

  /** `patchbay content download` as a job (the content lease keeps it one per cluster). */
  async startContentDownload(actor: string): Promise<JobView> {
    const { config, db, store, logger } = this.d;
    const job = await this.d.jobs.start(
      'content-download',
      actor,
      async ({ signal, progress }) => {
        const transport = new UpstreamTransport(transportOptionsFromConfig(config, logger ? { logger } : {}));
        try {
          return await downloadAndAnnounce(
            { db, store, transport, ...(logger ? { logger } : {}) },
            {
              upstreamUrl: config.upstream.url,
              contentHosts: config.upstream.contentHosts,
              mode: config.content.mode,
              triggerSource: 'api',
              nodeId: this.d.nodeId,
              signal,
              onProgress: (p) => progress({ done: p.filesDone, total: p.filesTotal, phase: 'download' }),
            },
          );
        } finally {
          await transport.close();
        }
      },
      { exclusive: true },
    );
    await this.#audit(actor, 'content.download', 'job', job.id);
    return job;
  }

  /** `patchbay catalog status --json`. */
  async catalog() {
    const staleAfterMs = this.d.config.sync.staleAfterHours * 3_600_000;
    const [s, stale] = await Promise.all([
      catalogStatus(this.d.db, { staleAfterMs }),
      checkStaleSync(createRepositories(this.d.db), { staleAfterMs }),
    ]);
    return { ...s, active: s.active ?? null, stale: stale.stale, lastGoodSyncAt: stale.lastGoodAt ?? null };
  }

  /** `patchbay catalog quarantine --json`. */
  quarantine(o: { reasonCode?: string; limit: number }) {
    return listQuarantine(this.d.db, o);
  }

  /** `patchbay catalog rollback [--to N] [--dry-run] --json`. */
  async rollback(o: { to?: number; dryRun?: boolean }, actor: string) {
    const target = o.to === undefined ? {} : { to: o.to };
    if (o.dryRun === true) return { dryRun: true, ...(await planRollback(this.d.db, target)) };
    const r = await rollbackCatalog(this.d.db, { ...target, pinnedBy: actor });
    await this.#audit(actor, 'catalog.rollback', 'generation', String(r.active.generationId), {
      replaced: r.replaced?.generationId ?? null,
    });
    return { dryRun: false, ...r, pinned: true };
  }

  /** Serve generation N and pin it (what `catalog rollback --to N` does; N may be the active one). */
  async pin(generation: number, actor: string) {
    const r = await rollbackCatalog(this.d.db, { to: generation, pinnedBy: actor });
    await this.#audit(actor, 'catalog.pin', 'generation', String(generation), {
      replaced: r.replaced?.generationId ?? null,
    });
    return { ...r, pinned: true };
  }

  /** `patchbay catalog unpin --json`. */
  async unpin(actor: string) {
    const pin = await unpinCatalog(this.d.db);
    if (pin !== undefined) await this.#audit(actor, 'catalog.unpin', 'generation', String(pin.generationId));
    return { unpinned: pin ?? null };
  }

  /** `patchbay content status --json`, plus the content job running now (if any). */
  async content() {
    const s = await contentStatus(this.d.db);
    return { mode: this.d.config.content.mode, ...s };
  }

  /** `patchbay products|classifications|languages list --json`. */
  selection(kind: SelectionKind) {
    return listSelection(this.d.db, this.d.config, kind);
  }

  /** Replaces the list of one kind; unknown names are refused with a suggestion. */
  async putSelection(kind: SelectionKind, names: readonly string[], actor: string) {
    const before = await getSelection(this.d.db, configSelection(this.d.config));
    const next = await replaceSelection(this.d.db, kind, before, names);
    await storeSelection(this.d.db, kind, before, next, actor);
    return listSelection(this.d.db, this.d.config, kind);
  }

  /** The effective configuration (secrets redacted, read-only) and the settings changeable at run time. */
  async settings() {
    const [targetingMode, ruleSwitches, selection] = await Promise.all([
      this.d.services.groups.getTargetingMode(),
      this.d.services.rules.getSwitches(),
      getSelection(this.d.db, configSelection(this.d.config)),
    ]);
    return {
      runtime: { targetingMode, ruleSwitches },
      selection,
      changeable: [...runtimeSettings],
      config: effectiveConfigObject(this.d.config),
    };
  }

  /** Changes run-time settings through the services that own them (each audits its change). */
  async patchSettings(patch: RuntimeSettingsPatch, actor: AdminActor) {
    if (patch.targetingMode !== undefined)
      await this.d.services.groups.setTargetingMode(patch.targetingMode, actor);
    if (patch.ruleSwitches !== undefined) await this.d.services.rules.setSwitches(patch.ruleSwitches, actor);
    return this.settings();
  }

  async #audit(actor: string, action: string, targetType: string, targetId: string, detail?: unknown) {
    await createRepositories(this.d.db).auditLog.append({
      actor,
      action,
      targetType,
      targetId,
      ...(detail !== undefined ? { detail } : {}),
    });
  }
}

/**
 * The server operations and the job runner they start jobs on, over one database: what `serve` mounts on the
 * admin port (and the OpenAPI generator and tests build the same way). Close `jobs` before the database.
 */
export function createServerApi(d: Omit<ServerAdminDeps, 'jobs' | 'nodeId'> & { readonly nodeId?: string }): {
  admin: ServerAdmin;
  jobs: JobRunner;
} {
  const nodeId = d.nodeId ?? processHolder();
  const jobs = new JobRunner({
    store: createRepositories(d.db).jobs,
    nodeId,
    ...(d.logger ? { logger: d.logger.child({ component: 'api-jobs' }) } : {}),
  });
  return { admin: new ServerAdmin({ ...d, nodeId, jobs }), jobs };
}
