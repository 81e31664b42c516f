import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import {
  decodeGetOutOfSyncComputersResult,
  decodeGetRollupConfigurationResult,
  decodeRollupComputersResult,
  decodeRollupComputerStatusResult,
  encodeGetOutOfSyncComputersRequest,
  encodeGetRollupConfigurationRequest,
  encodeRollupComputersRequest,
  encodeRollupComputerStatusRequest,
  encodeRollupDownstreamServersRequest,
  reportingNs,
  zeroGuid,
  type RollupComputerInfo,
  type RollupConfiguration,
  type RollupServerInfo,
  type ServerSummary,
} from '../../protocol/reporting/index.js';
import {
  decodeServerSyncResponse,
  decodeServerSyncResponseElement,
  wrapServerSyncRequest,
} from '../../protocol/server-sync/index.js';
import { createRepositories, type DbHandle, type OutboxComputer } from '../../storage/index.js';
import type { SoapPoster } from '../engine/index.js';

/** The settings keys of the downstream role's roll-up state. */
const upstreamKey = 'rollup.upstream';
const lastRollupKey = 'rollup.lastRollupAt';
/** Computers read from the database at a time (keyset pages; memory stays bounded whatever the fleet). */
const pageSize = 500;

export interface RollupRunOptions {
  /** `[upstream] url` (the ServerSync URL): the Reporting service sits beside it. */
  readonly upstreamUrl: string;
  /** Our FQDN as the upstream lists us (default: the host name, as the sync's accountName). */
  readonly serverName?: string;
  readonly now?: () => number;
  readonly timeoutMs?: number;
}

export interface RollupRunResult {
  /** Why nothing was sent (Microsoft Update upstream), else undefined. */
  readonly skipped: string | undefined;
  readonly servers: number;
  readonly computers: number;
  readonly statuses: number;
  /** Computers the upstream asked to have resent in full (GetOutOfSyncComputers). */
  readonly outOfSync: number;
  /** The upstream answered "busy" to a status batch: the rest goes next time. */
  readonly busy: boolean;
}

/** Microsoft Update has no reporting service (docs/upstream.md): `[upstream] rollup` never applies to it. */
export function isMicrosoftUpdate(upstreamUrl: string): boolean {
  try {
    return /(^|\.)update\.microsoft\.com$/i.test(new URL(upstreamUrl).hostname);
  } catch {
    return false;
  }
}

/** The upstream's ReportingWebService URL: beside its ServerSync service, as on every WSUS server. */
export function reportingUrlOf(upstreamUrl: string): string {
  return `${new URL(upstreamUrl).origin}/ReportingWebService/ReportingWebService.asmx`;
}

/**
 * Patchbay as a downstream rolls up to its upstream (docs/upstream.md "Reporting roll-up", MS-WSUSSS 3.2.4.5,
 * SPEC only): GetRollupConfiguration; RollupDownstreamServers with the servers below us (parents first) and
 * ourselves last; then, when the upstream wants detail, RollupComputers for computers that changed since the
 * last roll-up, GetOutOfSyncComputers for the ones it lost track of, and RollupComputerStatus (full per
 * computer) for computers whose states changed or that it asked for. Computers rolled up to us by our own
 * downstreams go up too, under their own parent server, so a hierarchy of any depth reaches the top.
 * Incremental: the outbox remembers per computer what was sent; a new RollupResetGuid sends everything.
 */
export async function runRollup(
  deps: { readonly db: DbHandle; readonly transport: SoapPoster; readonly logger?: Logger },
  o: RollupRunOptions,
): Promise<RollupRunResult> {
  const none = { servers: 0, computers: 0, statuses: 0, outOfSync: 0, busy: false };
  if (isMicrosoftUpdate(o.upstreamUrl))
    return { skipped: 'Microsoft Update has no reporting service', ...none };
  const now = o.now ?? Date.now;
  const startedAt = now();
  const url = reportingUrlOf(o.upstreamUrl);
  const repos = createRepositories(deps.db);
  const selfId = (await repos.settings.getOrCreateInstanceId()).toLowerCase();
  const call = async (op: string, content: string, maxBytes: number) =>
    (
      await deps.transport.postSoap({
        url,
        soapAction: `${reportingNs}/${op}`,
        body: Buffer.from(wrapServerSyncRequest(content), 'utf8'),
        maxResponseBytes: maxBytes,
        timeoutMs: o.timeoutMs,
      })
    ).body;

  const cfg = decodeGetRollupConfigurationResult(
    decodeServerSyncResponse(
      await call('GetRollupConfiguration', encodeGetRollupConfigurationRequest(), 64 * 1024),
      reportingNs,
      'GetRollupConfiguration',
    ),
  );
  const upstreamIdentity = `${cfg.serverId}/${cfg.rollupResetGuid}`;
  if ((await repos.settings.get<string>(upstreamKey)) !== upstreamIdentity) {
    // Another upstream, or the same one asking for everything again: forget what was sent.
    await repos.rollupOutbox.clear();
    await repos.settings.set(upstreamKey, upstreamIdentity, 'rollup');
    deps.logger?.info(
      { upstreamServerId: cfg.serverId },
      'roll-up: new upstream reset guid; sending everything',
    );
  }

  const servers = await serverEntries(deps.db, selfId, o.serverName ?? defaultServerName(), startedAt);
  for (const batch of chunks(servers, cfg.downstreamServersMaxBatchSize))
    decodeServerSyncResponseElement(
      await call(
        'RollupDownstreamServers',
        encodeRollupDownstreamServersRequest({ clientTime: new Date(now()), servers: batch }),
        64 * 1024,
      ),
      reportingNs,
      'RollupDownstreamServers',
    );
  if (!cfg.doDetailedRollup) {
    await repos.settings.set(lastRollupKey, startedAt, 'rollup');
    return { skipped: undefined, ...none, servers: servers.length };
  }

  const result = await rollupComputers(deps.db, cfg, selfId, startedAt, call, now);
  await repos.settings.set(lastRollupKey, startedAt, 'rollup');
  deps.logger?.info(
    { ...result, servers: servers.length, upstream: url },
    'roll-up to the upstream finished',
  );
  return { skipped: undefined, ...result, servers: servers.length };
}

type Call = (op: string, content: string, maxBytes: number) => Promise<Buffer>;

async function rollupComputers(
  db: DbHandle,
  cfg: RollupConfiguration,
  selfId: string,
  startedAt: number,
  call: Call,
  now: () => number,
): Promise<Omit<RollupRunResult, 'skipped' | 'servers'>> {
  const outbox = createRepositories(db).rollupOutbox;
  let computers = 0;
  // 1. Computers whose details changed (or that were never sent).
  for await (const page of pages(db)) {
    const changed = page.filter((c) => c.sentAt === null || c.updatedAt > c.sentAt);
    for (const batch of chunks(changed, cfg.computersMaxBatchSize)) {
      const body = await call(
        'RollupComputers',
        encodeRollupComputersRequest({
          clientTime: new Date(now()),
          computers: batch.map((c) => toInfo(c, selfId)),
        }),
        4 * 1024 * 1024,
      );
      // We always send Details, so NewParent needs nothing more; Deleted: the upstream dropped the computer,
      // it comes back with its next change (we keep managing it).
      decodeRollupComputersResult(
        decodeServerSyncResponse(body, reportingNs, 'RollupComputers'),
        batch.length,
      );
      computers += batch.length;
    }
  }
  // 2. Computers the upstream holds with another roll-up number than ours.
  const outOfSync = new Set<string>();
  for await (const page of pages(db)) {
    const sent = page.filter((c) => c.sentRollupNumber > 0);
    for (const batch of chunks(sent, cfg.outOfSyncComputersMaxBatchSize)) {
      const body = await call(
        'GetOutOfSyncComputers',
        encodeGetOutOfSyncComputersRequest({
          parentServerId: selfId,
          lastRollupNumbers: batch.map((c) => ({
            computerId: c.computerId,
            rollupNumber: c.sentRollupNumber,
          })),
        }),
        4 * 1024 * 1024,
      );
      for (const id of decodeGetOutOfSyncComputersResult(
        decodeServerSyncResponse(body, reportingNs, 'GetOutOfSyncComputers'),
        batch.length,
      ))
        outOfSync.add(id.toLowerCase());
    }
  }
  // 3. Full status of every computer whose states or row changed, or that the upstream asked for.
  let statuses = 0;
  for await (const page of pages(db)) {
    const due = page.filter(
      (c) =>
        c.sentAt === null ||
        c.updatedAt > c.sentAt ||
        (c.statesChangedAt ?? 0) > c.sentAt ||
        outOfSync.has(c.computerId),
    );
    for (const batch of chunks(due, cfg.computerStatusMaxBatchSize)) {
      const states = await outbox.states(batch.map((c) => c.computerId));
      const sent = batch.map((c) => ({ computerId: c.computerId, rollupNumber: c.sentRollupNumber + 1 }));
      const body = await call(
        'RollupComputerStatus',
        encodeRollupComputerStatusRequest({
          clientTime: new Date(now()),
          parentServerId: selfId,
          computers: batch.map((c, i) => ({
            instanceId: randomUUID(),
            computerId: c.computerId,
            effectiveLastDetectionTime: toDate(c.lastReportAt ?? c.lastSyncAt),
            rollupNumber: sent[i]!.rollupNumber,
            isFullRollup: true,
            updateStatus: (states.get(c.computerId) ?? []).map((s) => ({
              updateId: s.updateId,
              state: s.state,
              lastChangeTime: toDate(s.statusAt),
            })),
          })),
        }),
        64 * 1024,
      );
      if (
        !decodeRollupComputerStatusResult(decodeServerSyncResponse(body, reportingNs, 'RollupComputerStatus'))
      )
        return { computers, statuses, outOfSync: outOfSync.size, busy: true };
      // Marked with the run's start: a change during the run is newer, so the next roll-up sends it.
      await outbox.markSent(sent, startedAt);
      statuses += batch.length;
    }
  }
  return { computers, statuses, outOfSync: outOfSync.size, busy: false };
}

/** The servers below us, parents before children, then ourselves (SPEC 3.2.4.5). */
async function serverEntries(
  db: DbHandle,
  selfId: string,
  selfName: string,
  at: number,
): Promise<RollupServerInfo[]> {
  const repos = createRepositories(db);
  const direct = await repos.downstreamServers.list();
  const reported = await repos.rollup.reportedServers();
  const own = new Map(reported.filter((r) => r.serverId === r.reportedBy).map((r) => [r.serverId, r]));
  const children = new Map<string, RollupServerInfo[]>();
  const add = (parent: string, e: RollupServerInfo) => {
    let l = children.get(parent);
    if (l === undefined) children.set(parent, (l = []));
    l.push(e);
  };
  const summaryOf = (s: Record<string, number> | null | undefined) => (s ? (s as ServerSummary) : undefined);
  for (const d of direct) {
    const self = own.get(d.serverId);
    add(selfId, {
      serverId: d.serverId,
      fullDomainName: d.name,
      lastSyncTime: toDate(d.lastSyncAt),
      parentServerId: selfId,
      version: self?.version ?? undefined,
      isReplica: self?.isReplica ?? false,
      lastRollupTime: toDate(d.lastRollupAt),
      summary: summaryOf(self?.summary),
      clientSummaries: [],
    });
  }
  for (const r of reported)
    if (r.serverId !== r.reportedBy)
      add(r.parentServerId, {
        serverId: r.serverId,
        fullDomainName: r.name ?? undefined,
        lastSyncTime: toDate(r.lastSyncAt),
        parentServerId: r.parentServerId,
        version: r.version ?? undefined,
        isReplica: r.isReplica,
        lastRollupTime: toDate(r.lastRollupAt),
        summary: summaryOf(r.summary),
        clientSummaries: [],
      });
  // Breadth-first from us: every parent precedes its children; a server no chain reaches is left out.
  const out: RollupServerInfo[] = [];
  const seen = new Set<string>([selfId]);
  const queue = [selfId];
  while (queue.length > 0) {
    for (const c of children.get(queue.shift()!) ?? []) {
      if (seen.has(c.serverId)) continue;
      seen.add(c.serverId);
      out.push(c);
      queue.push(c.serverId);
    }
  }
  const lastGood = await repos.syncRuns.lastWithOutcome('succeeded');
  out.push({
    serverId: selfId,
    fullDomainName: selfName,
    lastSyncTime: toDate(lastGood?.finishedAt ?? null),
    parentServerId: zeroGuid,
    version: undefined,
    isReplica: false,
    lastRollupTime: new Date(at),
    summary: (await repos.rollupSummary.summary()) as ServerSummary,
    clientSummaries: [],
  });
  return out;
}

async function* pages(db: DbHandle): AsyncGenerator<OutboxComputer[]> {
  const outbox = createRepositories(db).rollupOutbox;
  let after = '';
  for (;;) {
    const page = await outbox.page(after, pageSize);
    if (page.length === 0) return;
    yield page;
    after = page[page.length - 1]!.computerId;
  }
}

function toInfo(c: OutboxComputer, selfId: string): RollupComputerInfo {
  const u = <T>(v: T | null) => (v === null ? undefined : v);
  // Our stored text may be longer than the WSDL's caps (the upstream would refuse the whole batch): cut it.
  const s = (v: string | null, n: number) => (v === null ? undefined : v.slice(0, n));
  return {
    computerId: c.computerId,
    lastSyncTime: toDate(c.lastSyncAt),
    lastSyncResult: c.lastSyncAt === null ? 0 : 1,
    lastReportedRebootTime: null,
    lastReportedStatusTime: toDate(c.lastReportAt),
    lastInventoryTime: toDate(c.lastInventoryAt),
    parentServerId: c.downstreamServerId ?? selfId,
    details: {
      targetGroupIds: [],
      requestedTargetGroupNames: [],
      ipAddress: s(c.ipAddress, 64),
      fullDomainName: s(c.dnsName, 255),
      osMajor: u(c.osMajor),
      osMinor: u(c.osMinor),
      osBuild: u(c.osBuild),
      osServicePackMajor: u(c.osServicePackMajor),
      osServicePackMinor: u(c.osServicePackMinor),
      osLocale: s(c.osLocale, 32),
      osFamily: 'Windows',
      osDescription: s(c.osDescription, 256),
      computerMake: s(c.computerMake, 64),
      computerModel: s(c.computerModel, 64),
      biosVersion: s(c.biosVersion, 64),
      biosName: undefined,
      processorArchitecture: s(c.processorArchitecture, 50),
      clientVersion: s(c.clientVersion, 20),
    },
  };
}

function toDate(ms: number | null): Date | null {
  return ms === null ? null : new Date(ms);
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

function defaultServerName(): string {
  const h = hostname()
    .replace(/[^A-Za-z0-9.-]/g, '')
    .slice(0, 200);
  return h === '' ? 'patchbay.invalid' : h;
}
