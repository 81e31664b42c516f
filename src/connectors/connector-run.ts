/**
 * One connector run for one target instance, the model's principle of operation made sturdy:
 *   read the security updates (if configured); then for each computer group:
 *   authorize (refused: nothing is sent for the group) -> start event -> the group's computers that reported
 *   since the last run (every tenth run: all of them) and their update states -> the output files (written
 *   atomically) -> the upload in parts of bounded size (retried) -> stop event.
 * The group's watermark and run counter advance only when the target acknowledged the stop event, together,
 * in one transaction; a run that fails anywhere before that is repeated from the same watermark next time.
 * Everything streams: pages from the views go straight to the files, parts are read back one at a time.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, openAsBlob } from 'node:fs';
import { basename } from 'node:path';
import { AppError, toAppError } from '../errors.js';
import type { Logger } from '../observability/index.js';
import { ConnectorStateRepository, type DbHandle } from '../storage/index.js';
import type { ConnectorInstance } from './connector-config.js';
import { DocumentWriter, type WrittenDocument } from './document-writer.js';
import { TargetClient } from './target-client.js';
import type { ConnectorReader, ComputerRow, ResolvedGroup } from './view-reader.js';
import { contractVersion, payloadMediaTypes, type RecordCounts } from './wire-contract.js';

export const connectorName = 'patchbay-connector';
/** Reports younger than this are left for the next run: a report committed late must not fall behind the watermark. */
export const defaultSettleMs = 5_000;
/** States read per query (keyset pages over (computer, update)). */
const statusPageSize = 5_000;
const updatePageSize = 1_000;

export type GroupOutcome = 'sent' | 'refused' | 'failed';

export interface GroupSummary {
  group: string;
  groupId: string | undefined;
  outcome: GroupOutcome;
  mode: 'full' | 'incremental' | undefined;
  records: RecordCounts;
  parts: number;
  bytes: number;
  files: string[];
  /** Set when refused or failed. */
  reason?: string;
  errorCode?: string;
}

export interface InstanceSummary {
  instance: string;
  runId: string;
  outcome: 'succeeded' | 'partial' | 'refused' | 'failed';
  groups: GroupSummary[];
  totals: {
    groups: number;
    computers: number;
    updates: number;
    statuses: number;
    parts: number;
    bytes: number;
  };
  requests: number;
  retries: number;
  durationMs: number;
  startedAt: string;
  /** Peak resident set size of the process so far. */
  maxRssBytes: number;
}

export interface RunInstanceDeps {
  instance: ConnectorInstance;
  /** The database holding connector_state (the same one the reader reads). */
  handle: DbHandle;
  reader: ConnectorReader;
  logger: Logger;
  version: string;
  now?: () => number;
  settleMs?: number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

/** The connector_state key of one (instance, group) stream. */
export function stateKey(instance: string, groupId: string): string {
  return `asset-connector:${instance}/${groupId}`;
}

/** A file-name-safe, collision-free name for a group's output files. */
export function groupFileName(group: ResolvedGroup): string {
  const slug = group.name
    .normalize('NFC')
    .replace(/[^\p{L}\p{N}._-]+/gu, '_')
    .slice(0, 80);
  return `${slug || 'group'}-${group.id.replace(/[^0-9a-f]/gi, '').slice(0, 8)}`;
}

export async function runInstance(deps: RunInstanceDeps): Promise<InstanceSummary> {
  const now = deps.now ?? Date.now;
  const started = now();
  const startedWall = Date.now();
  const runId = randomUUID();
  const inst = deps.instance;
  const log = deps.logger.child({ connector: inst.name, runId });
  const summary: InstanceSummary = {
    instance: inst.name,
    runId,
    outcome: 'succeeded',
    groups: [],
    totals: { groups: 0, computers: 0, updates: 0, statuses: 0, parts: 0, bytes: 0 },
    requests: 0,
    retries: 0,
    durationMs: 0,
    startedAt: new Date(started).toISOString(),
    maxRssBytes: 0,
  };
  log.info({ groups: inst.groups, target: inst.baseUrl, items: inst.items }, 'connector run started');
  if (inst.includeDownstreamServers)
    log.info(
      'include_downstream_servers is set; Patchbay has no downstream servers yet, so it changes nothing',
    );

  const client = await TargetClient.create({
    instance: inst,
    logger: log,
    userAgent: `${connectorName}/${deps.version}`,
    ...(deps.sleep ? { sleep: deps.sleep } : {}),
    ...(deps.random ? { random: deps.random } : {}),
  });
  try {
    for (const groupName of inst.groups) {
      const g = await runGroup({ ...deps, now, runId, client, log, groupName });
      summary.groups.push(g);
    }
  } finally {
    await client.close().catch(() => undefined);
  }

  for (const g of summary.groups) {
    if (g.outcome !== 'sent') continue;
    summary.totals.groups++;
    summary.totals.computers += g.records.computers;
    summary.totals.updates += g.records.updates;
    summary.totals.statuses += g.records.statuses;
    summary.totals.parts += g.parts;
    summary.totals.bytes += g.bytes;
  }
  const outcomes = summary.groups.map((g) => g.outcome);
  summary.outcome = outcomes.every((o) => o === 'sent')
    ? 'succeeded'
    : outcomes.every((o) => o === 'refused')
      ? 'refused'
      : outcomes.every((o) => o === 'failed')
        ? 'failed'
        : 'partial';
  summary.requests = client.requests;
  summary.retries = client.retries;
  summary.durationMs = Date.now() - startedWall;
  summary.maxRssBytes = process.resourceUsage().maxRSS * 1024;
  const level = summary.outcome === 'succeeded' ? 'info' : summary.outcome === 'refused' ? 'warn' : 'error';
  log[level](
    {
      outcome: summary.outcome,
      groups: summary.groups.map((g) => ({ group: g.group, outcome: g.outcome, mode: g.mode, ...g.records })),
      totals: summary.totals,
      requests: summary.requests,
      retries: summary.retries,
      durationMs: summary.durationMs,
      maxRssBytes: summary.maxRssBytes,
    },
    'connector run finished',
  );
  return summary;
}

interface GroupContext extends RunInstanceDeps {
  now: () => number;
  runId: string;
  client: TargetClient;
  log: Logger;
  groupName: string;
}

async function runGroup(ctx: GroupContext): Promise<GroupSummary> {
  const { instance: inst, client, runId, groupName } = ctx;
  const result: GroupSummary = {
    group: groupName,
    groupId: undefined,
    outcome: 'failed',
    mode: undefined,
    records: { updates: 0, computers: 0, statuses: 0 },
    parts: 0,
    bytes: 0,
    files: [],
  };
  const log = ctx.log.child({ group: groupName });
  const repo = new ConnectorStateRepository(ctx.handle.db);
  let key: string | undefined;
  try {
    const group = await ctx.reader.resolveGroup(groupName);
    result.groupId = group.id;
    key = stateKey(inst.name, group.id);

    const auth = await client.authorize(inst.name, groupName);
    if (!auth.authorized) {
      result.outcome = 'refused';
      result.reason = auth.reason;
      log.warn({ reason: auth.reason }, 'target refused authorization for the group; nothing sent');
      await repo.recordAttempt(key, { at: ctx.now(), outcome: 'refused', error: auth.reason, failed: false });
      return result;
    }

    const state = await repo.get(key);
    const runs = state?.runs ?? 0;
    const watermarkMs = state?.watermark ? Date.parse(state.watermark) : undefined;
    const full = watermarkMs === undefined || Number.isNaN(watermarkMs) || runs % inst.fullReportEvery === 0;
    const sinceMs = full ? undefined : watermarkMs;
    const untilMs = Math.max(ctx.now() - (ctx.settleMs ?? defaultSettleMs), watermarkMs ?? 0);
    result.mode = full ? 'full' : 'incremental';
    log.info(
      {
        mode: result.mode,
        run: runs + 1,
        since: sinceMs === undefined ? null : new Date(sinceMs).toISOString(),
      },
      'group run started',
    );

    await client.start({
      contractVersion,
      runId,
      instance: inst.name,
      group: groupName,
      groupId: group.id,
      mode: result.mode,
      since: sinceMs === undefined ? null : new Date(sinceMs).toISOString(),
      until: new Date(untilMs).toISOString(),
      format: inst.format,
      items: [...inst.items],
      startedAt: new Date(ctx.now()).toISOString(),
      connector: { name: connectorName, version: ctx.version },
    });

    const doc = await writeDocument(ctx, group, sinceMs, untilMs, log);
    result.records = doc.records;
    result.files = doc.files;
    result.bytes = doc.bytes;
    result.parts = doc.partOffsets.length;
    log.debug({ files: doc.files, bytes: doc.bytes, parts: result.parts, ...doc.records }, 'output written');

    await sendParts(ctx, doc, groupName, log);

    await client.stop({
      contractVersion,
      runId,
      instance: inst.name,
      group: groupName,
      parts: doc.partOffsets.length,
      bytes: doc.bytes,
      sha256: doc.sha256,
      records: doc.records,
      finishedAt: new Date(ctx.now()).toISOString(),
    });

    // Acknowledged: the watermark and the counter move together, or not at all.
    const stateKeyName = key;
    const committed = await ctx.handle.transaction((trx) =>
      new ConnectorStateRepository(trx).commitRun(stateKeyName, {
        expectedRuns: runs,
        watermark: new Date(untilMs).toISOString(),
        itemsExported: doc.records.computers + doc.records.updates + doc.records.statuses,
        at: ctx.now(),
      }),
    );
    if (!committed) {
      throw new AppError(
        'PB_ERR_CONFLICT',
        `another connector run for ${inst.name}/${groupName} committed first; this run's watermark was not stored`,
      );
    }
    result.outcome = 'sent';
    log.info(
      { mode: result.mode, ...doc.records, parts: result.parts, bytes: doc.bytes },
      'group sent and acknowledged',
    );
    return result;
  } catch (e) {
    const err = toAppError(e);
    result.outcome = 'failed';
    result.reason = err.message;
    result.errorCode = err.code;
    log.error(
      { err: { code: err.code, message: err.message } },
      'group run failed; the watermark stays where it was',
    );
    if (key !== undefined)
      await repo
        .recordAttempt(key, {
          at: ctx.now(),
          outcome: 'failed',
          error: `${err.code}: ${err.message}`,
          failed: true,
        })
        .catch((re: unknown) => log.error({ err: re }, 'cannot record the failed attempt'));
    return result;
  }
}

async function writeDocument(
  ctx: GroupContext,
  group: ResolvedGroup,
  sinceMs: number | undefined,
  untilMs: number,
  log: Logger,
): Promise<WrittenDocument> {
  const inst = ctx.instance;
  const writer = await DocumentWriter.open({
    dir: inst.outputDir,
    baseName: groupFileName(group),
    uploadFormat: inst.format,
    extraFormats: inst.outputFormats,
    partSize: inst.partSize,
  });
  try {
    if (inst.items.includes('updates')) {
      for await (const page of ctx.reader.updatePages(group.id, inst.updateScope, updatePageSize))
        for (const u of page) await writer.write({ type: 'update', ...u });
    }
    if (inst.items.includes('computers')) {
      let pages = 0;
      for await (const computers of ctx.reader.computerPages({
        groupId: group.id,
        sinceMs,
        untilMs,
        includeDownstreamServers: inst.includeDownstreamServers,
        pageSize: inst.pageSize,
      })) {
        await writeComputerPage(ctx, writer, computers);
        if (++pages % 10 === 0) log.trace({ pages }, 'computer pages written');
      }
    }
    return await writer.commit();
  } catch (e) {
    await writer.abort();
    throw e;
  }
}

/** Each computer followed by its states (both lists come in the database's computer-id order). */
async function writeComputerPage(
  ctx: GroupContext,
  writer: DocumentWriter,
  computers: readonly ComputerRow[],
): Promise<void> {
  let next = 0;
  let current: string | undefined;
  const ids = computers.map((c) => c.computerId);
  for await (const statuses of ctx.reader.statusPages(ids, ctx.instance.updateScope, statusPageSize)) {
    for (const s of statuses) {
      // Write the computers up to this state's computer (those before it have no states).
      while (s.computerId !== current && next < computers.length) {
        const c = computers[next++]!;
        await writer.write({ type: 'computer', ...c });
        current = c.computerId;
      }
      await writer.write({ type: 'status', ...s });
    }
  }
  while (next < computers.length) await writer.write({ type: 'computer', ...computers[next++]! });
}

/**
 * Sends the written document part by part, straight from the file: each part is a slice of a file-backed
 * Blob that the HTTP client reads in small chunks, and its SHA-256 is computed from a stream of the same
 * range, so no part is ever held in memory whole (a fresh 1 MiB buffer per part, copied again into the
 * multipart body, left peak memory to the garbage collector's timing).
 */
async function sendParts(ctx: GroupContext, doc: WrittenDocument, group: string, log: Logger): Promise<void> {
  if (doc.partOffsets.length === 0) return;
  const file = await openAsBlob(doc.path);
  if (file.size !== doc.bytes)
    throw new AppError('PB_ERR_FILESYSTEM', `${doc.path} changed while it was being sent`);
  const total = doc.partOffsets.length;
  const mediaType = payloadMediaTypes[doc.format === 'csv' ? 'csv' : 'jsonl'].split(';')[0] as
    'application/x-ndjson' | 'text/csv';
  for (let i = 0; i < total; i++) {
    const start = doc.partOffsets[i]!;
    const end = i + 1 < total ? doc.partOffsets[i + 1]! : doc.bytes;
    const data = file.slice(start, end);
    const sha256 = await sha256OfRange(doc.path, start, end);
    const r = await ctx.client.sendPart(
      {
        contractVersion: String(contractVersion),
        runId: ctx.runId,
        instance: ctx.instance.name,
        group,
        partIndex: String(i),
        partTotal: String(total),
        contentType: mediaType,
        sha256,
      },
      data,
      `${basename(doc.path)}.part-${String(i).padStart(5, '0')}`,
    );
    log.debug({ part: i, total, bytes: data.size, duplicate: r.duplicate }, 'part sent');
  }
}

/** SHA-256 (hex) of bytes [start, end) of a file, read as a stream. */
async function sha256OfRange(path: string, start: number, end: number): Promise<string> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of createReadStream(path, { start, end: end - 1 }) as AsyncIterable<Buffer>) {
    hash.update(chunk);
    bytes += chunk.length;
  }
  if (bytes !== end - start)
    throw new AppError('PB_ERR_FILESYSTEM', `${path} changed while it was being sent`);
  return hash.digest('hex');
}
