/**
 * `patchbay import DIR` (docs/operations.md "Air-gapped networks"). In order, and nothing changes before
 * step 3 completes:
 *   1. the manifest against its digest file (and `--digest`, when the admin carried it separately);
 *   2. the replay check: the bundle's sequence must be newer than the last imported from its server, and an
 *      incremental bundle must continue exactly that one;
 *   3. every chunk's size and SHA-256 (chunks a previous, interrupted import verified are skipped while their
 *      file is unchanged);
 *   4. the content files through the store's verified ingest (SHA-1, SHA-256, size);
 *   5. the documents through the sync's own validation, quarantine and atomic activation
 *      (importRevisionBatches), the deployments applied in the activation's transaction the way a replica
 *      applies its upstream's (ReplicaRepository), then the stored files adopted and the rules.
 * Steps 4 and 5 skip what is already there, so running the command again resumes an interrupted import.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { ContentMode } from '../domain/index.js';
import { AppError } from '../errors.js';
import type { ServerSyncUpdateData, UpdateDataResult } from '../protocol/server-sync/index.js';
import {
  createRepositories,
  type ApprovalRuleInput,
  type ContentStore,
  type DbHandle,
  type Executor,
  type ReplicaStateInput,
  type VerifiedChunk,
} from '../storage/index.js';
import { importRevisionBatches, type SyncResult } from '../sync/index.js';
import { chunkFolder, chunkName, invalidBundle, type BundleManifest } from './bundle-manifest.js';
import { hashChunk, readRange } from './chunk-stream.js';
import { readBundleManifest } from './read-bundle.js';

export interface ImportInput {
  readonly db: DbHandle;
  readonly store: ContentStore;
  readonly from: string;
  readonly dryRun?: boolean;
  /** The manifest SHA-256 the exporting side printed; the bundle is refused when it differs. */
  readonly expectDigest?: string;
  /** `content.mode` here: `all` queues the files the bundle did not bring (shown as queued, never hidden). */
  readonly contentMode: ContentMode;
  readonly logger?: Logger;
  /** Test hook: awaited after each chunk is verified (a throw interrupts the import there). */
  readonly afterChunkVerified?: (verified: number) => void | Promise<void>;
}

export interface ImportSummary {
  readonly exportId: string;
  readonly sourceServerId: string;
  readonly sequence: number;
  readonly sinceExportId: string | null;
  readonly dryRun: boolean;
  readonly chunksVerified: number;
  readonly chunksSkipped: number;
  readonly documents: number;
  readonly contentFiles: number;
  readonly contentAlreadyPresent: number;
  /** Undefined on a dry run. */
  readonly sync?: Pick<SyncResult, 'outcome' | 'generationId' | 'generationChanged' | 'counters' | 'note'>;
  readonly deployments?: Record<string, number>;
  readonly rules?: { created: number; updated: number };
  readonly durationMs: number;
}

const maxLineBytes = 64 * 1024 * 1024;

export async function importBundle(input: ImportInput): Promise<ImportSummary> {
  const started = Date.now();
  const { db, from } = input;
  const repos = createRepositories(db);
  const m = await readBundleManifest(from);
  if (input.expectDigest !== undefined && input.expectDigest.toLowerCase() !== m.manifestSha256)
    throw invalidBundle(
      from,
      `the manifest's SHA-256 is ${m.manifestSha256}, not the expected ${input.expectDigest}`,
    );

  const done = await repos.bundles.get('import', m.exportId);
  if (done?.finishedAt != null)
    throw new AppError('PB_ERR_BUNDLE_REPLAYED', `bundle ${m.exportId} was imported already`, {
      detail: { exportId: m.exportId },
    });
  const last = await repos.bundles.lastFinished('import', m.sourceServerId);
  if (last !== undefined && m.sequence <= last.sequence)
    throw new AppError(
      'PB_ERR_BUNDLE_REPLAYED',
      `bundle ${m.exportId} is export ${m.sequence} of server ${m.sourceServerId}; export ${last.sequence} ` +
        `(${last.exportId}) was imported already: an older bundle would take the catalog back`,
      { detail: { exportId: m.exportId, sequence: m.sequence, lastSequence: last.sequence } },
    );
  if (m.sinceExportId !== null && m.sinceExportId !== last?.exportId)
    throw new AppError(
      'PB_ERR_CONFLICT',
      `bundle ${m.exportId} is incremental since export ${m.sinceExportId}, but the last bundle imported from ` +
        `server ${m.sourceServerId} is ${last?.exportId ?? 'none'}: import the bundles in between, or a full export`,
    );

  const { verified, skipped } = await verifyChunks(input, m, done?.verifiedChunks ?? []);
  const base = {
    exportId: m.exportId,
    sourceServerId: m.sourceServerId,
    sequence: m.sequence,
    sinceExportId: m.sinceExportId,
    dryRun: input.dryRun === true,
    chunksVerified: verified,
    chunksSkipped: skipped,
    documents: m.documents.count,
    contentFiles: m.content.length,
  };
  if (input.dryRun === true) return { ...base, contentAlreadyPresent: 0, durationMs: Date.now() - started };

  let alreadyPresent = 0;
  for (const c of m.content) {
    const r = await input.store.ingest(readRange(from, m.chunkSize, c.offset, c.size), {
      sha1: Buffer.from(c.sha1, 'hex'),
      sha256: Buffer.from(c.sha256, 'hex'),
      size: c.size,
    });
    if (r.alreadyPresent) alreadyPresent++;
  }

  const deploymentState = await readJson<DeploymentsEntry>(from, m, m.deployments, 'deployments');
  let deployments: Record<string, number> | undefined;
  const apply = async (trx: Executor) => {
    const r = createRepositories({ db: trx, dialect: db.dialect });
    deployments = { ...(await r.replica.apply(await completed(r, deploymentState))) };
  };
  const sync = await importRevisionBatches(
    { db, ...(input.logger ? { logger: input.logger } : {}) },
    { upstreamUrl: `bundle:${m.exportId}`, triggerSource: 'bundle-import', contentMode: input.contentMode },
    documentBatches(from, m),
    apply,
  );
  await repos.contentState.adoptStored(m.content.map((c) => Buffer.from(c.sha1, 'hex')));
  const rules = await applyRules(db, await readJson<ApprovalRuleInput[] | null>(from, m, m.rules, 'rules'));
  await repos.bundles.finish('import', m.exportId, m.manifestSha256);
  return {
    ...base,
    contentAlreadyPresent: alreadyPresent,
    sync: {
      outcome: sync.outcome,
      generationId: sync.generationId,
      generationChanged: sync.generationChanged,
      counters: sync.counters,
      note: sync.note,
    },
    ...(deployments ? { deployments } : {}),
    rules,
    durationMs: Date.now() - started,
  };
}

/** Step 3; a chunk that fails leaves nothing of the import behind (its progress row goes too). */
async function verifyChunks(
  input: ImportInput,
  m: BundleManifest,
  before: readonly VerifiedChunk[],
): Promise<{ verified: number; skipped: number }> {
  const bundles = createRepositories(input.db).bundles;
  const record = input.dryRun !== true;
  if (record)
    await bundles.start({
      role: 'import',
      exportId: m.exportId,
      sourceServerId: m.sourceServerId,
      sequence: m.sequence,
      sinceExportId: m.sinceExportId,
      generationId: null,
      deploymentAnchor: null,
      carriedContent: [],
      startedAt: Date.now(),
    });
  const known = new Map(before.map((c) => [c.index, c]));
  const ok: VerifiedChunk[] = [];
  let skipped = 0;
  try {
    for (const [index, want] of m.chunks.entries()) {
      const prior = known.get(index);
      const s = await stat(join(input.from, chunkFolder, chunkName(index))).catch(() => undefined);
      if (prior !== undefined && s !== undefined && s.size === prior.size && s.mtimeMs === prior.mtimeMs) {
        ok.push(prior);
        skipped++;
        continue;
      }
      const got = await hashChunk(input.from, index);
      if (got === undefined)
        throw invalidBundle(
          input.from,
          `chunk ${index + 1} of ${m.chunks.length} is missing (truncated bundle)`,
        );
      if (got.size !== want.size)
        throw invalidBundle(
          input.from,
          `chunk ${index + 1} has ${got.size} bytes, the manifest says ${want.size}`,
        );
      if (got.sha256 !== want.sha256)
        throw invalidBundle(
          input.from,
          `chunk ${index + 1}: SHA-256 differs from the manifest (changed or damaged)`,
        );
      ok.push({ index, size: got.size, mtimeMs: got.mtimeMs });
      if (record) await bundles.recordVerified(m.exportId, ok);
      await input.afterChunkVerified?.(ok.length);
    }
  } catch (e) {
    // A bundle that does not verify leaves nothing behind; an interruption keeps what was verified.
    if (record && e instanceof AppError && e.code === 'PB_ERR_BUNDLE_INVALID')
      await bundles.forget('import', m.exportId);
    throw e;
  }
  return { verified: m.chunks.length - skipped, skipped };
}

interface DeploymentsEntry {
  readonly complete: boolean;
  readonly approvals: boolean;
  readonly groups: ReplicaStateInput['groups'] | null;
  readonly deployments: ReplicaStateInput['deployments'];
  readonly deadDeployments: readonly string[];
  readonly hiddenUpdates: readonly string[] | null;
  readonly acceptedEulas: readonly string[] | null;
}

/** What the bundle leaves out is this server's own (unchanged); a complete approvals set replaces ours. */
async function completed(
  r: ReturnType<typeof createRepositories>,
  d: DeploymentsEntry,
): Promise<ReplicaStateInput> {
  return {
    groups:
      d.groups ??
      (await r.groups.list()).map((g) => ({
        groupId: g.groupId,
        parentGroupId: g.parentGroupId ?? undefined,
        name: g.name,
      })),
    deployments: d.deployments,
    deadDeployments: d.deadDeployments,
    hiddenUpdates: d.hiddenUpdates ?? (await r.approvals.listDeclined()).map((x) => x.updateId),
    acceptedEulas: d.acceptedEulas ?? (await r.deploymentFeed.acceptedEulaIds()),
    complete: d.complete && d.approvals,
  };
}

/** Rules by name: a rule of the bundle replaces the local one of that name, or is created. */
async function applyRules(
  db: DbHandle,
  rules: readonly ApprovalRuleInput[] | null,
): Promise<{ created: number; updated: number }> {
  let created = 0;
  let updated = 0;
  if (rules === null) return { created, updated };
  await db.transaction(async (trx) => {
    const repo = createRepositories({ db: trx, dialect: db.dialect }).approvalRules;
    const local = new Map((await repo.list({ limit: 100_000 })).map((r) => [r.name, r]));
    for (const rule of rules) {
      const have = local.get(rule.name);
      if (have === undefined) {
        await repo.create(rule);
        created++;
      } else {
        await repo.update(have.ruleId, rule);
        updated++;
      }
    }
  });
  return { created, updated };
}

async function readJson<T>(
  dir: string,
  m: BundleManifest,
  span: { offset: number; size: number },
  what: string,
): Promise<T> {
  const parts: Buffer[] = [];
  for await (const p of readRange(dir, m.chunkSize, span.offset, span.size)) parts.push(p);
  try {
    return JSON.parse(Buffer.concat(parts).toString('utf8')) as T;
  } catch {
    throw invalidBundle(dir, `the ${what} entry is not JSON`);
  }
}

/** The documents entry as GetUpdateData-shaped batches of 100 (a line that is not a document fails the import). */
async function* documentBatches(dir: string, m: BundleManifest): AsyncGenerator<UpdateDataResult> {
  let updates: ServerSyncUpdateData[] = [];
  let fileUrls: { fileDigest: string; muUrl: string; ussUrl: string }[] = [];
  let rest: Buffer = Buffer.alloc(0);
  let lineNo = 0;
  const take = (line: Buffer) => {
    lineNo++;
    const d = parseDocumentLine(line, dir, lineNo);
    updates.push({
      identity: { updateId: d.updateId, revisionNumber: d.revisionNumber },
      blob: { kind: 'plain', text: d.document },
      fileDigests: d.fileUrls.map((f) => f.fileDigest),
    });
    fileUrls.push(...d.fileUrls.map((f) => ({ ...f, ussUrl: '' })));
  };
  for await (const piece of readRange(dir, m.chunkSize, m.documents.offset, m.documents.size)) {
    rest = rest.length === 0 ? piece : Buffer.concat([rest, piece]);
    for (let nl = rest.indexOf(10); nl >= 0; nl = rest.indexOf(10)) {
      take(rest.subarray(0, nl));
      rest = rest.subarray(nl + 1);
      if (updates.length >= 100) {
        yield { updates, fileUrls };
        updates = [];
        fileUrls = [];
      }
    }
    if (rest.length > maxLineBytes) throw invalidBundle(dir, `document line ${lineNo + 1} is too long`);
  }
  if (rest.length > 0) take(rest);
  if (updates.length > 0) yield { updates, fileUrls };
}

function parseDocumentLine(
  line: Buffer,
  dir: string,
  lineNo: number,
): {
  updateId: string;
  revisionNumber: number;
  document: string;
  fileUrls: { fileDigest: string; muUrl: string }[];
} {
  let d: unknown;
  try {
    d = JSON.parse(line.toString('utf8'));
  } catch {
    throw invalidBundle(dir, `document line ${lineNo} is not JSON`);
  }
  const o = d as Record<string, unknown>;
  const urls = o.fileUrls;
  if (
    typeof o.updateId !== 'string' ||
    !/^[0-9a-fA-F-]{36}$/.test(o.updateId) ||
    !Number.isSafeInteger(o.revisionNumber) ||
    typeof o.document !== 'string' ||
    !Array.isArray(urls) ||
    !urls.every(
      (u) =>
        typeof (u as Record<string, unknown>).fileDigest === 'string' &&
        typeof (u as Record<string, unknown>).muUrl === 'string',
    )
  )
    throw invalidBundle(dir, `document line ${lineNo} is not an update document entry`);
  return o as never;
}
