/**
 * The scan-storm load generator (issue 17): plays the native Windows Update Agent scan recorded in the captures
 * (test/fixtures/wsus/wsus-m0-native, REAL request bodies with only the cookie, client id, id arrays and event
 * instance ids replaced) for many simulated computers, OPEN LOOP: scan n starts at start + n / rate whatever
 * the earlier scans are doing, so an overloaded server shows up as latency, 503s and failed scans instead of
 * a politely slower generator. One scan, per simulated computer, on its own keep-alive connection (as WUA
 * holds one), left open after the scan until the server's idle timeout, so a storm holds thousands of them:
 *
 *   GetConfig, GetAuthorizationCookie, GetCookie, RegisterComputer   (scan/000001-000004)
 *   SyncUpdates pages until not truncated (about 13, ~1,300 cached ids; flow/000001 shape)
 *   the driver pass (flow/000014: SkipSoftwareSync, 75 devices)
 *   GetExtendedUpdateInfo for up to 18 delivered revisions (scan/000010 shape)
 *   ReportEventBatch x3 (flow/000016-000018)
 *   two 1 MiB ranged /Content/ reads (content-headers: Delivery Optimization's 1 MiB ranges)
 *
 * Every SOAP call offers `Accept-Encoding: xpress` like the native client (or identity, to compare). A call
 * that fails to connect or gets 503 is retried once after `retryDelayMs` (WUA retries a busy server), then
 * the scan counts as failed. Records per-operation latency and status codes, 5xx other than 503, ServerBusy.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Client } from 'undici';
import { decodeXpressBody } from '../../src/protocol/xpress/index.js';

const fixtures = new URL('../../test/fixtures/wsus/wsus-m0-native/', import.meta.url);
const body = (exchange: string): string =>
  readFileSync(new URL(`${exchange}/request.body`, fixtures), 'utf8');
const capturedClientId = 'e1da06a3-5601-43c9-bac3-52d5db701494';
const clientNs = 'http://www.microsoft.com/SoftwareDistribution/Server/ClientWebService';

const templates = {
  getConfig: body('scan/000001'),
  getAuthorizationCookie: body('scan/000002'),
  getCookie: body('scan/000003'),
  registerComputer: body('scan/000004'),
  syncUpdates: body('flow/000001'),
  driverPass: body('flow/000014'),
  getExtendedUpdateInfo: body('scan/000010'),
  reports: [body('flow/000016'), body('flow/000017'), body('flow/000018')],
};

export type StormOperation =
  | 'GetConfig'
  | 'GetAuthorizationCookie'
  | 'GetCookie'
  | 'RegisterComputer'
  | 'SyncUpdates'
  | 'SyncUpdates(driver)'
  | 'GetExtendedUpdateInfo'
  | 'ReportEventBatch'
  | 'Content';

const paths: Record<StormOperation, string> = {
  GetConfig: '/ClientWebService/client.asmx',
  GetAuthorizationCookie: '/SimpleAuthWebService/SimpleAuth.asmx',
  GetCookie: '/ClientWebService/client.asmx',
  RegisterComputer: '/ClientWebService/client.asmx',
  SyncUpdates: '/ClientWebService/client.asmx',
  'SyncUpdates(driver)': '/ClientWebService/client.asmx',
  GetExtendedUpdateInfo: '/ClientWebService/client.asmx',
  ReportEventBatch: '/ReportingWebService/ReportingWebService.asmx',
  Content: '',
};

/** What the simulated fleet holds, and where its content is. */
export interface StormFleet {
  /** Installed non-leaf revision ids every computer sends. */
  readonly installedNonLeafIds: readonly number[];
  /** Leaf revision ids every computer caches before the scan (the server then pages the rest). */
  readonly cachedLeafIds: readonly number[];
  readonly targetGroup: string;
  /** `/Content/...` path of a stored file and its size, for the ranged reads. */
  readonly content: { readonly path: string; readonly size: number };
  /** The id of simulated computer n (a GUID; pre-registered fleets use the same ids). */
  readonly clientId: (n: number) => string;
}

export interface StormOptions {
  /** Origins to spread the computers over (several nodes behind nothing, or one balancer). */
  readonly origin: string;
  readonly fleet: StormFleet;
  readonly scansPerSecond: number;
  readonly seconds: number;
  /** Number of the first simulated computer (so consecutive phases use fresh computers). */
  readonly firstComputer?: number;
  readonly xpress?: boolean;
  readonly retryDelayMs?: number;
  /** Give up on a scan's call after this long (a WUA call times out too). */
  readonly callTimeoutMs?: number;
  /** Give up on a whole scan after this long, so an overloaded phase ends (default 60 s). */
  readonly scanTimeoutMs?: number;
  /** Connections to keep open after the scans (closed by StormStats.close). Default: each scan's own. */
  readonly keepConnections?: Client[];
}

export interface OperationStats {
  readonly latencies: number[];
  readonly statuses: Map<number, number>;
  serverBusy: number;
  connectionErrors: number;
  unexpected5xx: number;
}

export interface StormResult {
  readonly started: number;
  readonly completed: number;
  readonly failed: number;
  /** Failures by their first cause ("SyncUpdates 503", "GetCookie ECONNRESET", ...). */
  readonly failures: Map<string, number>;
  readonly retries: number;
  readonly scanMs: number[];
  /** Scans completed per second of the phase (their end times, one slot per second). */
  readonly completedPerSecond: number[];
  readonly pages: number;
  readonly wireBytes: number;
  readonly operations: Map<StormOperation, OperationStats>;
  readonly wallMs: number;
}

export const pct = (xs: readonly number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? 0;
};

const ints = (ids: readonly number[]): string => ids.map((i) => `<int>${i}</int>`).join('');
const replaceElement = (xml: string, name: string, inner: string): string =>
  xml.replace(new RegExp(`<${name}>[\\s\\S]*?</${name}>`), `<${name}>${inner}</${name}>`);

interface Cookie {
  expiration: string;
  data: string;
}
const withCookie = (xml: string, c: Cookie): string =>
  xml.replace(
    /<cookie><Expiration>[^<]*<\/Expiration><EncryptedData>[^<]*<\/EncryptedData><\/cookie>/,
    `<cookie><Expiration>${c.expiration}</Expiration><EncryptedData>${c.data}</EncryptedData></cookie>`,
  );

class ScanFailed extends Error {}

/** The captured SyncUpdates request (flow/000001) carrying the fleet's cached ids and `cookie`. */
export function stormSyncRequest(
  fleet: StormFleet,
  other: readonly number[] = fleet.cachedLeafIds,
  cookie?: Cookie,
): string {
  const xml = cookie ? withCookie(templates.syncUpdates, cookie) : templates.syncUpdates;
  return replaceElement(
    replaceElement(xml, 'InstalledNonLeafUpdateIDs', ints(fleet.installedNonLeafIds)),
    'OtherCachedUpdateIDs',
    ints(other),
  );
}

/** A steady-state identity SyncUpdates answer of `origin` for computer `n` of the fleet (the anchor's page). */
export async function sampleSyncPage(origin: string, fleet: StormFleet, n: number): Promise<Buffer> {
  const client = new Client(origin);
  const result = emptyResult();
  try {
    const scan = new StormScan(
      client,
      fleet.clientId(n),
      { origin, fleet, scansPerSecond: 1, seconds: 1, xpress: false },
      result,
    );
    await scan.handshake();
    // The first page of a fresh cookie also carries ChangedUpdates; the steady-state page is the second.
    await scan.syncPage(fleet.cachedLeafIds);
    return Buffer.from(await scan.syncPage(fleet.cachedLeafIds));
  } finally {
    await client.close();
  }
}

/**
 * Handshake with `handshakeOrigin`, then a SyncUpdates page from `syncOrigin` with that cookie (cookies of one
 * node accepted by another); returns the page.
 */
export async function crossNodePage(
  handshakeOrigin: string,
  syncOrigin: string,
  fleet: StormFleet,
  n: number,
): Promise<string> {
  const [a, b] = [new Client(handshakeOrigin), new Client(syncOrigin)];
  try {
    const opts = { origin: handshakeOrigin, fleet, scansPerSecond: 1, seconds: 1 };
    const first = new StormScan(a, fleet.clientId(n), opts, emptyResult());
    await first.handshake();
    const second = new StormScan(b, fleet.clientId(n), opts, emptyResult());
    second.cookie = first.cookie;
    return await second.syncPage(fleet.cachedLeafIds);
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
}

/** One simulated computer's scan over its own connection. */
class StormScan {
  cookie: Cookie | undefined;
  private readonly deadline: number;
  constructor(
    private readonly client: Client,
    private readonly clientId: string,
    private readonly opts: StormOptions,
    private readonly result: StormResult & { retries: number; pages: number; wireBytes: number },
  ) {
    this.deadline = performance.now() + (opts.scanTimeoutMs ?? 60_000);
  }

  private stats(op: StormOperation): OperationStats {
    let s = this.result.operations.get(op);
    if (!s) {
      s = { latencies: [], statuses: new Map(), serverBusy: 0, connectionErrors: 0, unexpected5xx: 0 };
      this.result.operations.set(op, s);
    }
    return s;
  }

  /** One HTTP call, retried once on a connection error or 503; returns the decoded body. */
  private async call(op: StormOperation, xml: string | undefined, range?: string): Promise<string> {
    const s = this.stats(op);
    for (let attempt = 0; ; attempt++) {
      if (performance.now() > this.deadline) throw new ScanFailed('scan deadline');
      const t0 = performance.now();
      try {
        const headers: Record<string, string> =
          xml === undefined
            ? { range: range!, 'user-agent': 'Microsoft-Delivery-Optimization/10.1' }
            : {
                'content-type': 'text/xml; charset=utf-8',
                'user-agent': 'Windows-Update-Agent/1507.2601.30012.0 Client-Protocol/2.90',
                ...(op === 'GetAuthorizationCookie' || op === 'ReportEventBatch'
                  ? {}
                  : { soapaction: `"${clientNs}/${op.replace('(driver)', '')}"` }),
                ...(this.opts.xpress === false ? {} : { 'accept-encoding': 'xpress' }),
              };
        const r = await this.client.request({
          path: xml === undefined ? this.opts.fleet.content.path : paths[op],
          method: xml === undefined ? 'GET' : 'POST',
          headers,
          body: xml,
          headersTimeout: this.opts.callTimeoutMs ?? 20_000,
          bodyTimeout: this.opts.callTimeoutMs ?? 20_000,
        });
        const status = r.statusCode;
        const raw = Buffer.from(await r.body.arrayBuffer());
        s.latencies.push(performance.now() - t0);
        s.statuses.set(status, (s.statuses.get(status) ?? 0) + 1);
        this.result.wireBytes += raw.length;
        const text =
          r.headers['content-encoding'] === 'xpress'
            ? decodeXpressBody(raw).toString('utf8')
            : raw.toString('utf8');
        if (status === 503) {
          if (text.includes('ServerBusy') || xml === undefined) s.serverBusy++;
          else s.unexpected5xx++;
        } else if (status >= 500) s.unexpected5xx++;
        if (status === 200 || status === 206) return text;
        // 503: busy; 502/504: a balancer whose node died under the call. WUA tries again.
        if (![502, 503, 504].includes(status) || attempt > 0) throw new ScanFailed(`${op} ${status}`);
      } catch (e) {
        if (e instanceof ScanFailed) throw e;
        s.connectionErrors++;
        if (attempt > 0)
          throw new ScanFailed(`${op} ${(e as { code?: string }).code ?? (e as Error).message}`);
      }
      this.result.retries++;
      await new Promise((r) => setTimeout(r, this.opts.retryDelayMs ?? 1_000));
    }
  }

  private takeCookie(answer: string, element: string): void {
    const m = new RegExp(
      `<${element}><Expiration>([^<]+)</Expiration><EncryptedData>([^<]+)</EncryptedData>`,
    ).exec(answer);
    if (m) this.cookie = { expiration: m[1]!, data: m[2]! };
    else if (element === 'GetCookieResult') throw new ScanFailed('GetCookie without a cookie');
  }

  async handshake(): Promise<void> {
    const { fleet } = this.opts;
    const id = this.clientId;
    const cfg = await this.call('GetConfig', templates.getConfig);
    const lastChange = /<LastChange>([^<]+)/.exec(cfg)?.[1] ?? '';
    const auth = await this.call(
      'GetAuthorizationCookie',
      templates.getAuthorizationCookie
        .replace(capturedClientId, id)
        .replace('</clientId>', `</clientId><targetGroupName>${fleet.targetGroup}</targetGroupName>`),
    );
    const authData = /<CookieData>([^<]+)/.exec(auth)?.[1] ?? '';
    const now = new Date().toISOString();
    const gc = await this.call(
      'GetCookie',
      replaceElement(
        replaceElement(replaceElement(templates.getCookie, 'CookieData', authData), 'lastChange', lastChange),
        'currentTime',
        now,
      ),
    );
    this.takeCookie(gc, 'GetCookieResult');
    await this.call('RegisterComputer', withCookie(templates.registerComputer, this.cookie!));
  }

  /** One SyncUpdates page; returns the answer as text. */
  syncPage(other: readonly number[]): Promise<string> {
    return this.call('SyncUpdates', stormSyncRequest(this.opts.fleet, other, this.cookie));
  }

  async run(): Promise<void> {
    const { fleet } = this.opts;
    const id = this.clientId;
    await this.handshake();
    const other = [...fleet.cachedLeafIds];
    const delivered: number[] = [];
    for (let page = 0; page < 200; page++) {
      const answer = await this.syncPage(other);
      this.result.pages++;
      this.takeCookie(answer, 'NewCookie');
      const news = /<NewUpdates>([\s\S]*?)<\/NewUpdates>/.exec(answer)?.[1] ?? '';
      for (const m of news.matchAll(/<UpdateInfo><ID>(\d+)<\/ID>/g)) {
        other.push(Number(m[1]));
        delivered.push(Number(m[1]));
      }
      if (!answer.includes('<Truncated>true</Truncated>')) break;
    }
    await this.call(
      'SyncUpdates(driver)',
      replaceElement(
        withCookie(templates.driverPass, this.cookie!),
        'InstalledNonLeafUpdateIDs',
        ints(fleet.installedNonLeafIds),
      ),
    );
    await this.call(
      'GetExtendedUpdateInfo',
      replaceElement(
        withCookie(templates.getExtendedUpdateInfo, this.cookie!),
        'revisionIDs',
        ints(delivered.slice(0, 18)),
      ),
    );
    for (const report of templates.reports)
      await this.call(
        'ReportEventBatch',
        withCookie(report, this.cookie!)
          .replaceAll(capturedClientId, id)
          .replace(/<EventInstanceID>[^<]+/g, () => `<EventInstanceID>${randomUUID()}`),
      );
    const MiB = 1 << 20;
    const pieces = Math.max(1, Math.floor(fleet.content.size / MiB));
    for (let i = 0; i < 2; i++) {
      const start = Math.floor(Math.random() * pieces) * MiB;
      const end = Math.min(fleet.content.size, start + MiB) - 1;
      await this.call('Content', undefined, `bytes=${start}-${end}`);
    }
  }
}

/** Runs one open-loop phase: `scansPerSecond x seconds` scans, each started on schedule. */
function emptyResult() {
  return {
    started: 0,
    completed: 0,
    failed: 0,
    failures: new Map<string, number>(),
    retries: 0,
    scanMs: [] as number[],
    completedPerSecond: [] as number[],
    pages: 0,
    wireBytes: 0,
    operations: new Map<StormOperation, OperationStats>(),
    wallMs: 0,
  };
}

export async function runStorm(opts: StormOptions): Promise<StormResult> {
  const result = emptyResult();
  const total = Math.max(1, Math.round(opts.scansPerSecond * opts.seconds));
  const first = opts.firstComputer ?? 0;
  const t0 = performance.now();
  const running: Promise<void>[] = [];
  for (let n = 0; n < total; n++) {
    const wait = t0 + (n * 1000) / opts.scansPerSecond - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    // One connection per computer, kept alive (WUA's own); the server's idle timeout closes it.
    const client = new Client(opts.origin, { keepAliveTimeout: 60_000, pipelining: 1 });
    opts.keepConnections?.push(client);
    const scan = new StormScan(client, opts.fleet.clientId(first + n), opts, result);
    result.started++;
    const s0 = performance.now();
    running.push(
      scan.run().then(
        () => {
          const end = performance.now();
          result.completed++;
          result.scanMs.push(end - s0);
          const slot = Math.floor((end - t0) / 1000);
          result.completedPerSecond[slot] = (result.completedPerSecond[slot] ?? 0) + 1;
          if (!opts.keepConnections) void client.close();
        },
        (e: unknown) => {
          result.failed++;
          const why = e instanceof ScanFailed ? e.message : String(e);
          result.failures.set(why, (result.failures.get(why) ?? 0) + 1);
          if (!opts.keepConnections) void client.destroy();
        },
      ),
    );
  }
  await Promise.all(running);
  result.wallMs = performance.now() - t0;
  for (let i = 0; i < result.completedPerSecond.length; i++) result.completedPerSecond[i] ??= 0;
  return result;
}

/** One line per operation: count, p50/p99, statuses, ServerBusy, unexpected 5xx, connection errors. */
export function describeStorm(r: StormResult): string {
  const lines = [
    `scans started ${r.started}, completed ${r.completed}, failed ${r.failed} (${[...r.failures].map(([k, v]) => `${k}: ${v}`).join(', ') || 'none'}), retries ${r.retries}; scan p50 ${pct(r.scanMs, 50).toFixed(0)} ms p99 ${pct(r.scanMs, 99).toFixed(0)} ms; ${r.pages} SyncUpdates pages; ${(r.wireBytes / 2 ** 20).toFixed(1)} MiB received`,
  ];
  for (const [op, s] of r.operations)
    lines.push(
      `  ${op.padEnd(22)} n=${String(s.latencies.length).padStart(6)} p50 ${pct(s.latencies, 50).toFixed(1).padStart(7)} ms p99 ${pct(s.latencies, 99).toFixed(1).padStart(7)} ms  statuses ${[...s.statuses].map(([k, v]) => `${k}:${v}`).join(' ')}  busy ${s.serverBusy} 5xx ${s.unexpected5xx} connErr ${s.connectionErrors}`,
    );
  return lines.join('\n');
}

export function unexpected5xx(r: StormResult): number {
  let n = 0;
  for (const s of r.operations.values()) n += s.unexpected5xx;
  return n;
}
