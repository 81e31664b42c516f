/**
 * Prometheus metrics (docs/operations.md "Metrics"). One registry per server process, passed in, never
 * prom-client's global one, so tests and the CLI build their own. Label values come from fixed lists only
 * (operation names the SOAP registry knows, outcomes, sync kinds): never a computer id, an address or a URL,
 * so the number of series stays bounded whatever clients send.
 *
 * Hot paths pay a counter increment and a histogram observation (an array walk over the buckets): the
 * SyncUpdates benchmark (bench/metrics-overhead.bench.ts) measures it. Figures that need the database are
 * not kept in counters: they are read at scrape time through `ScrapeSource` and cached for `cacheMs`, so a
 * scrape every second costs the database a few aggregate queries every `cacheMs` at most.
 */
import client from 'prom-client';

/** Outcome of a SOAP call: answered, a SOAP fault, or refused as busy (shedding). */
export const soapOutcomes = ['ok', 'fault', 'busy'] as const;
export type SoapOutcome = (typeof soapOutcomes)[number];

/** Why a request was refused before it was processed (concurrency-limit.ts). */
export const shedReasons = ['concurrency', 'event_loop_lag'] as const;
export type ShedReason = (typeof shedReasons)[number];

/** Operation label for a SOAP call that never resolved to a known operation (bad envelope, unknown action). */
export const unknownOperation = 'unknown';

/** What the scrape-time gauges read; the composition root implements it over storage and the content store. */
export interface ScrapeSource {
  snapshot(): Promise<ScrapeSnapshot>;
}

export interface ScrapeSnapshot {
  readonly computers: number;
  readonly activeComputers: number;
  readonly compliance: Readonly<Record<string, number>>;
  readonly quarantined: number;
  /** Seconds since the last metadata sync that succeeded (fully or partially); undefined: never. */
  readonly lastGoodSyncAgeSeconds: number | undefined;
  /** Files per content state (queued, downloading, verified, failed, absent) and their bytes. */
  readonly contentFiles: Readonly<Record<string, { files: number; bytes: number }>>;
  /** Finished and running sync runs in the history, per kind and outcome. */
  readonly syncRuns: readonly { kind: string; outcome: string; n: number }[];
  /** Free and total bytes of the file system holding the content store. */
  readonly contentDisk?: { freeBytes: number; totalBytes: number } | undefined;
  readonly pool?: { max: number; total: number; idle: number; waiting: number } | undefined;
  /** Ringed approvals per state (running, paused, completed, stopped). */
  readonly rollouts?: Readonly<Record<string, number>> | undefined;
  /** The ringed catalog change in progress (soaking or held) and the ring it reached; undefined: none. */
  readonly catalogRollout?: { readonly state: string; readonly ringIndex: number } | undefined;
}

const latencyBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const queryBuckets = [0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5];
const syncBuckets = [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200];

export interface MetricsOptions {
  /** How long scrape-time figures are reused (default 10 s). */
  cacheMs?: number;
  /** Collect prom-client's process and Node.js metrics (memory, event-loop lag, GC); default true. */
  processMetrics?: boolean;
}

export class PatchbayMetrics {
  readonly registry = new client.Registry();
  readonly soapRequests: client.Counter<'operation' | 'outcome'>;
  readonly soapDuration: client.Histogram<'operation'>;
  readonly shed: client.Counter<'reason'>;
  readonly scans: client.Counter;
  readonly contentBytesServed: client.Counter;
  readonly syncRunsFinished: client.Counter<'kind' | 'outcome'>;
  readonly syncDuration: client.Histogram<'kind'>;
  readonly revisionsImported: client.Counter;
  readonly revisionsQuarantined: client.Counter;
  readonly contentDownloadedBytes: client.Counter;
  readonly contentDownloadFailures: client.Counter;
  readonly dbQueryDuration: client.Histogram;
  readonly dbQueryErrors: client.Counter;
  readonly notificationQueue: client.Gauge<'channel'>;
  readonly notificationsSent: client.Counter<'channel' | 'outcome'>;
  readonly #cacheMs: number;
  #source: ScrapeSource | undefined;
  #cached: { at: number; value: Promise<ScrapeSnapshot> } | undefined;
  readonly #operationLabels = new Map<string, { operation: string }>();

  constructor(options: MetricsOptions = {}) {
    this.#cacheMs = options.cacheMs ?? 10_000;
    const r = [this.registry];
    if (options.processMetrics !== false) client.collectDefaultMetrics({ register: this.registry });
    this.soapRequests = new client.Counter({
      name: 'patchbay_soap_requests_total',
      help: 'SOAP calls on the client ports by operation and outcome (ok, fault, busy).',
      labelNames: ['operation', 'outcome'],
      registers: r,
    });
    this.soapDuration = new client.Histogram({
      name: 'patchbay_soap_request_duration_seconds',
      help: 'Time from the arrival of a SOAP request body to its answer, by operation.',
      labelNames: ['operation'],
      buckets: latencyBuckets,
      registers: r,
    });
    this.shed = new client.Counter({
      name: 'patchbay_requests_shed_total',
      help: 'Requests on the client ports refused with 503 / ServerBusy before processing, by reason.',
      labelNames: ['reason'],
      registers: r,
    });
    this.scans = new client.Counter({
      name: 'patchbay_client_scans_total',
      help: 'Client scans completed (the last SyncUpdates page of a scan was answered).',
      registers: r,
    });
    this.contentBytesServed = new client.Counter({
      name: 'patchbay_content_served_bytes_total',
      help: 'Update file bytes sent to clients from /Content/.',
      registers: r,
    });
    this.syncRunsFinished = new client.Counter({
      name: 'patchbay_sync_runs_finished_total',
      help: 'Synchronization runs this process finished, by kind (metadata, content) and outcome.',
      labelNames: ['kind', 'outcome'],
      registers: r,
    });
    this.syncDuration = new client.Histogram({
      name: 'patchbay_sync_duration_seconds',
      help: 'Duration of synchronization runs this process finished, by kind.',
      labelNames: ['kind'],
      buckets: syncBuckets,
      registers: r,
    });
    this.revisionsImported = new client.Counter({
      name: 'patchbay_sync_revisions_imported_total',
      help: 'Update revisions stored by synchronizations of this process.',
      registers: r,
    });
    this.revisionsQuarantined = new client.Counter({
      name: 'patchbay_sync_revisions_quarantined_total',
      help: 'Update revisions put in quarantine by synchronizations of this process.',
      registers: r,
    });
    this.contentDownloadedBytes = new client.Counter({
      name: 'patchbay_content_downloaded_bytes_total',
      help: 'Update file bytes downloaded from the upstream by this process.',
      registers: r,
    });
    this.contentDownloadFailures = new client.Counter({
      name: 'patchbay_content_download_failures_total',
      help: 'Update files whose download failed in a content run of this process.',
      registers: r,
    });
    this.dbQueryDuration = new client.Histogram({
      name: 'patchbay_db_query_duration_seconds',
      help: 'Duration of database queries issued through the query builder.',
      buckets: queryBuckets,
      registers: r,
    });
    this.dbQueryErrors = new client.Counter({
      name: 'patchbay_db_query_errors_total',
      help: 'Database queries that failed.',
      registers: r,
    });
    this.notificationQueue = new client.Gauge({
      name: 'patchbay_notification_queue_length',
      help: 'Notifications waiting to be delivered, by channel (email, webhook).',
      labelNames: ['channel'],
      registers: r,
    });
    this.notificationsSent = new client.Counter({
      name: 'patchbay_notifications_total',
      help: 'Notification deliveries by channel and outcome (sent, failed after retries, dropped).',
      labelNames: ['channel', 'outcome'],
      registers: r,
    });
    this.#scrapeGauges(r);
  }

  /** Where the scrape-time gauges read from; without a source they report nothing. */
  setScrapeSource(source: ScrapeSource | undefined): void {
    this.#source = source;
    this.#cached = undefined;
  }

  /** One SOAP call. `operation` must come from the SOAP registry (a bounded set) or be `unknownOperation`. */
  observeSoap(operation: string, outcome: SoapOutcome, seconds: number): void {
    // The label objects are reused: prom-client hashes the labels on each call, a fresh object costs more.
    let labels = this.#operationLabels.get(operation);
    if (labels === undefined) {
      labels = { operation };
      this.#operationLabels.set(operation, labels);
    }
    this.soapRequests.inc({ operation, outcome });
    if (outcome !== 'busy') this.soapDuration.observe(labels, seconds);
  }

  /** Prometheus text exposition of every metric (refreshing the scrape-time figures when stale). */
  async expose(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  #snapshot(): Promise<ScrapeSnapshot> | undefined {
    const source = this.#source;
    if (source === undefined) return undefined;
    const now = Date.now();
    if (this.#cached === undefined || now - this.#cached.at >= this.#cacheMs) {
      const value = source.snapshot();
      // A failed read is not cached: the next scrape tries again.
      value.catch(() => {
        if (this.#cached?.value === value) this.#cached = undefined;
      });
      this.#cached = { at: now, value };
    }
    return this.#cached.value;
  }

  #scrapeGauges(r: client.Registry[]): void {
    const gauge = <L extends string>(
      name: string,
      help: string,
      labelNames: readonly L[],
      set: (g: client.Gauge<L>, s: ScrapeSnapshot) => void,
    ): void => {
      const snapshot = () => this.#snapshot();
      new ScrapeTimeGauge<L>({
        name,
        help,
        labelNames,
        registers: r,
        async collect() {
          const g = this as ScrapeTimeGauge<L>;
          const p = snapshot();
          g.reset();
          g.unread = p === undefined;
          if (p === undefined) return;
          // A database that does not answer leaves the gauge absent for this scrape, not zero: a label-less
          // gauge would otherwise expose 0 computers or a last good sync 0 s ago.
          const s = await p.catch(() => undefined);
          if (s === undefined) g.unread = true;
          else set(g, s);
        },
      });
    };
    gauge('patchbay_computers', 'Computers registered.', [], (g, s) => g.set(s.computers));
    gauge(
      'patchbay_computers_active',
      'Computers that scanned or reported within the last hour.',
      [],
      (g, s) => g.set(s.activeComputers),
    );
    gauge(
      'patchbay_computers_by_compliance',
      'Computers by compliance state (compliant, needed, failed, unknown) over non-declined updates.',
      ['state'],
      (g, s) => {
        for (const [state, n] of Object.entries(s.compliance)) g.set({ state }, n);
      },
    );
    gauge('patchbay_quarantined_revisions', 'Update revisions in quarantine.', [], (g, s) =>
      g.set(s.quarantined),
    );
    gauge(
      'patchbay_last_good_sync_age_seconds',
      'Seconds since the last metadata synchronization that succeeded fully or partially (absent: none ever did).',
      [],
      (g, s) => {
        if (s.lastGoodSyncAgeSeconds !== undefined) g.set(s.lastGoodSyncAgeSeconds);
      },
    );
    gauge('patchbay_content_files', 'Update files by content state.', ['state'], (g, s) => {
      for (const [state, v] of Object.entries(s.contentFiles)) g.set({ state }, v.files);
    });
    gauge('patchbay_content_bytes', 'Update file bytes by content state.', ['state'], (g, s) => {
      for (const [state, v] of Object.entries(s.contentFiles)) g.set({ state }, v.bytes);
    });
    gauge(
      'patchbay_content_queue_length',
      'Update files waiting for download (queued or downloading).',
      [],
      (g, s) => g.set((s.contentFiles.queued?.files ?? 0) + (s.contentFiles.downloading?.files ?? 0)),
    );
    gauge(
      'patchbay_sync_runs',
      'Synchronization runs in the history (all nodes), by kind and outcome.',
      ['kind', 'outcome'],
      (g, s) => {
        for (const run of s.syncRuns) g.set({ kind: run.kind, outcome: run.outcome }, run.n);
      },
    );
    gauge(
      'patchbay_content_disk_free_bytes',
      'Free bytes on the file system of the content store.',
      [],
      (g, s) => {
        if (s.contentDisk !== undefined) g.set(s.contentDisk.freeBytes);
      },
    );
    gauge('patchbay_content_disk_size_bytes', 'Size of the file system of the content store.', [], (g, s) => {
      if (s.contentDisk !== undefined) g.set(s.contentDisk.totalBytes);
    });
    gauge(
      'patchbay_rollouts',
      'Ringed approvals (docs/rings.md) by state: running, paused (a gate failed), completed, stopped.',
      ['state'],
      (g, s) => {
        for (const [state, n] of Object.entries(s.rollouts ?? {})) g.set({ state }, n);
      },
    );
    gauge(
      'patchbay_catalog_rollout_ring',
      'Ring index (0 = first) the ringed catalog change in progress reached, by state (soaking, held); absent when none is in progress.',
      ['state'],
      (g, s) => {
        if (s.catalogRollout !== undefined)
          g.set({ state: s.catalogRollout.state }, s.catalogRollout.ringIndex);
      },
    );
    gauge(
      'patchbay_db_pool_connections',
      'PostgreSQL pool connections by state (idle, busy), and its max; absent on SQLite.',
      ['state'],
      (g, s) => {
        if (s.pool === undefined) return;
        g.set({ state: 'idle' }, s.pool.idle);
        g.set({ state: 'busy' }, s.pool.total - s.pool.idle);
        g.set({ state: 'max' }, s.pool.max);
      },
    );
    gauge(
      'patchbay_db_pool_waiting',
      'Queries waiting for a PostgreSQL pool connection; absent on SQLite.',
      [],
      (g, s) => {
        if (s.pool !== undefined) g.set(s.pool.waiting);
      },
    );
  }
}

/**
 * A gauge read from the scrape source at collect time. prom-client exposes a label-less gauge as 0 even when
 * nothing was set; while the source cannot be read this one exposes no sample at all.
 */
class ScrapeTimeGauge<L extends string> extends client.Gauge<L> {
  unread = false;

  override async get(): Promise<client.MetricObjectWithValues<client.MetricValue<L>>> {
    const got = await super.get();
    return this.unread ? { ...got, values: [] } : got;
  }
}
