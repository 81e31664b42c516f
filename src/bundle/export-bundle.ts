/**
 * `patchbay export --to DIR` (docs/operations.md "Air-gapped networks"): the served catalog's original update
 * documents, the selected content files, the deployments (groups, approvals, declines, EULAs) and the rules,
 * as one stream cut in chunks and listed in a manifest with the SHA-256 of every chunk.
 *
 * Resumable: the plan (identity and entries) and the staged metadata are written first under `.export/`; a
 * chunk file exists under its name only once complete; run the same command again and the chunks already
 * written (re-hashed) are kept. Incremental (`--since`): only revisions not in the catalog the earlier export
 * carried, content it did not carry, and the deployment changes since (the upstream role's GetDeployments
 * diff, so a removed approval travels too).
 */
import { randomUUID } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { contentScope } from '../content-sync/index.js';
import type { ContentMode } from '../domain/index.js';
import { AppError } from '../errors.js';
import { createRepositories, decodeBlob, type ContentStore, type DbHandle } from '../storage/index.js';
import { replicaInput } from '../sync/index.js';
import { DeploymentsAnswer, formatAnchor } from '../upstream-service/index.js';
import {
  bundleFormat,
  bundleFormatVersion,
  chunkFolder,
  defaultChunkBytes,
  digestName,
  manifestName,
  maxChunkBytes,
  minChunkBytes,
  sha256Hex,
  stagingFolder,
  type BundleManifest,
} from './bundle-manifest.js';
import { hashChunk, writeChunks, type ChunkRecord, type StreamPart } from './chunk-stream.js';
import { readBundleManifest } from './read-bundle.js';

export interface ExportInput {
  readonly db: DbHandle;
  readonly store: ContentStore;
  readonly to: string;
  /** An earlier export of this server: its export id, or its folder. */
  readonly since?: string;
  readonly content: ContentMode;
  readonly approvals: boolean;
  readonly declines: boolean;
  readonly groups: boolean;
  readonly rules: boolean;
  readonly chunkSize?: number;
  readonly patchbayVersion: string;
  readonly now?: () => number;
  /** Test hook: awaited after each chunk is in place (a throw interrupts the export there). */
  readonly afterChunk?: (written: number) => void | Promise<void>;
}

export interface ExportSummary {
  readonly exportId: string;
  readonly sequence: number;
  readonly sinceExportId: string | null;
  readonly dir: string;
  readonly manifestSha256: string;
  readonly documents: number;
  readonly contentFiles: number;
  readonly contentBytes: number;
  readonly contentMissing: number;
  readonly chunks: number;
  readonly totalBytes: number;
  /** Chunks a previous, interrupted run had written and this one kept. */
  readonly chunksKept: number;
  readonly durationMs: number;
}

/** The plan of an export in progress (`.export/plan.json`): the manifest without its chunks. */
type Plan = Omit<BundleManifest, 'chunks'> & { carriedContent: string[]; generationId: number };

export async function exportBundle(input: ExportInput): Promise<ExportSummary> {
  const started = Date.now();
  const now = input.now ?? Date.now;
  const dir = input.to;
  const staging = join(dir, stagingFolder);
  if (existsSync(join(dir, manifestName)))
    throw new AppError('PB_ERR_CONFLICT', `${dir} already holds a finished bundle: export into a new folder`);
  await mkdir(join(dir, chunkFolder), { recursive: true });
  await mkdir(staging, { recursive: true });
  const planPath = join(staging, 'plan.json');
  const plan = existsSync(planPath)
    ? (JSON.parse(await readFile(planPath, 'utf8')) as Plan)
    : await newPlan(input, staging, now());
  if (!existsSync(planPath)) await atomicWrite(planPath, JSON.stringify(plan));

  // Chunks a previous run finished: kept when they still hash to what it recorded.
  const progressPath = join(staging, 'progress.json');
  const recorded = existsSync(progressPath)
    ? (JSON.parse(await readFile(progressPath, 'utf8')) as ChunkRecord[])
    : [];
  const kept: ChunkRecord[] = [];
  for (const [i, r] of recorded.entries()) {
    const now = await hashChunk(dir, i);
    if (now === undefined || now.sha256 !== r.sha256 || now.size !== r.size) break;
    kept.push(r);
  }
  const parts: StreamPart[] = [
    filePart(join(staging, 'documents.jsonl'), plan.documents.size),
    filePart(join(staging, 'deployments.json'), plan.deployments.size),
    filePart(join(staging, 'rules.json'), plan.rules.size),
    ...plan.content.map((c) => storePart(input.store, c.sha1, c.size)),
  ];
  const chunks = await writeChunks(dir, parts, plan.chunkSize, kept, async (records) => {
    await atomicWrite(progressPath, JSON.stringify(records));
    await input.afterChunk?.(records.length);
  });
  const { carriedContent, generationId, ...identity } = plan;
  const manifest: BundleManifest = { ...identity, chunks };
  const text = Buffer.from(JSON.stringify(manifest, null, 1));
  const digest = sha256Hex(text);
  await atomicWrite(join(dir, digestName), `${digest}  ${manifestName}\n`);
  // The manifest last: a folder without one holds no finished bundle.
  await atomicWrite(join(dir, manifestName), text);
  await createRepositories(input.db).bundles.finish('export', plan.exportId, digest, now());
  await rm(staging, { recursive: true, force: true });
  void carriedContent;
  void generationId;
  return {
    exportId: plan.exportId,
    sequence: plan.sequence,
    sinceExportId: plan.sinceExportId,
    dir,
    manifestSha256: digest,
    documents: plan.documents.count,
    contentFiles: plan.content.length,
    contentBytes: plan.content.reduce((s, c) => s + c.size, 0),
    contentMissing: plan.contentMissing,
    chunks: chunks.length,
    totalBytes: plan.totalBytes,
    chunksKept: kept.length,
    durationMs: Date.now() - started,
  };
}

/** The export this one continues: an export id of this server, or the folder of one. */
async function sinceExport(db: DbHandle, since: string) {
  const repos = createRepositories(db);
  const id = /^[0-9a-f-]{36}$/i.test(since)
    ? since.toLowerCase()
    : (await readBundleManifest(since)).exportId;
  const prior = await repos.bundles.get('export', id);
  if (prior === undefined || prior.finishedAt === null)
    throw new AppError(
      'PB_ERR_NOT_FOUND',
      `--since ${since}: no finished export ${id} of this server (patchbay export lists its id when done)`,
    );
  return prior;
}

/** Decides what goes in, stages the metadata entries and records the export (its sequence taken). */
async function newPlan(input: ExportInput, staging: string, at: number): Promise<Plan> {
  const { db, store } = input;
  const repos = createRepositories(db);
  const chunkSize = input.chunkSize ?? defaultChunkBytes;
  if (!Number.isSafeInteger(chunkSize) || chunkSize < minChunkBytes || chunkSize > maxChunkBytes)
    throw new AppError(
      'PB_ERR_USAGE',
      `chunk size ${chunkSize} bytes: between ${minChunkBytes / 1024} KiB and ${maxChunkBytes / 2 ** 30} GiB`,
    );
  const prior = input.since === undefined ? undefined : await sinceExport(db, input.since);
  const position = await repos.upstreamCatalog.currentPosition(at);
  if (position === undefined)
    throw new AppError(
      'PB_ERR_CONFLICT',
      'nothing to export: no catalog generation is active (patchbay sync first)',
    );
  const sinceGeneration =
    prior?.generationId != null && (await repos.upstreamCatalog.generationKept(prior.generationId))
      ? prior.generationId
      : undefined;

  // 1. The documents as received (the stored original text), with their file digests and URLs.
  const identities = await repos.bundleCatalog.memberIdentities(position.generationId, sinceGeneration);
  const lines: string[] = [];
  for (let i = 0; i < identities.length; i += 500) {
    const batch = identities.slice(i, i + 500);
    const served = await repos.upstreamCatalog.servedRevisions(position.generationId, batch);
    for (const id of batch) {
      const rev = served.get(`${id.updateId}/${id.revisionNumber}`);
      if (rev === undefined) continue;
      lines.push(
        JSON.stringify({
          updateId: rev.updateId,
          revisionNumber: rev.revisionNumber,
          document: decodeBlob(rev.document).toString('utf8'),
          fileUrls: rev.files.map((f) => ({ fileDigest: f.sha1.toString('base64'), muUrl: f.muUrl ?? '' })),
        }),
      );
    }
  }
  const documents = Buffer.from(lines.length === 0 ? '' : `${lines.join('\n')}\n`);

  // 2. Deployments: the upstream role's GetDeployments answer (complete, or the diff since the last export).
  const answer = await new DeploymentsAnswer(repos.upstreamCatalog, repos.deploymentFeed).build(
    {
      deploymentAnchor: prior?.deploymentAnchor ?? undefined,
      syncAnchor: formatAnchor(position.seq, position.loggedAt),
    },
    at,
  );
  const { input: state } = replicaInput({ result: answer, complete: answer.complete });
  const deployments = Buffer.from(
    JSON.stringify({
      complete: state.complete,
      groups: input.groups ? state.groups : null,
      deployments: input.approvals ? state.deployments : [],
      deadDeployments: input.approvals ? state.deadDeployments : [],
      approvals: input.approvals,
      hiddenUpdates: input.declines ? state.hiddenUpdates : null,
      acceptedEulas: input.approvals ? state.acceptedEulas : null,
    }),
  );
  const rules = Buffer.from(
    JSON.stringify(
      input.rules
        ? (await repos.approvalRules.list({ limit: 100_000 })).map((r) => ({
            name: r.name,
            isEnabled: r.isEnabled,
            action: r.action,
            criteria: r.criteria,
            groupIds: r.groupIds,
            deadlineOffsetMs: r.deadlineOffsetMs,
            priority: r.priority,
          }))
        : null,
    ),
  );

  // 3. Content: the mode's files this server holds and the export it continues did not carry.
  const carried = new Set(prior?.carriedContent ?? []);
  const content: BundleManifest['content'] = [];
  let missing = 0;
  let offset = documents.length + deployments.length + rules.length;
  for (const sha1 of await contentScope(db, input.content)) {
    const hex = sha1.toString('hex');
    if (carried.has(hex)) continue;
    const s = await store.stat(sha1);
    if (s === undefined) {
      missing++;
      continue;
    }
    content.push({ sha1: hex, sha256: s.sha256.toString('hex'), size: s.size, offset });
    offset += s.size;
  }
  await writeFile(join(staging, 'documents.jsonl'), documents);
  await writeFile(join(staging, 'deployments.json'), deployments);
  await writeFile(join(staging, 'rules.json'), rules);

  const sourceServerId = await repos.settings.getOrCreateInstanceId();
  const exportId = randomUUID();
  const sequence = (await repos.bundles.highestExportSequence()) + 1;
  const carriedContent = [...carried, ...content.map((c) => c.sha1)];
  await repos.bundles.start({
    role: 'export',
    exportId,
    sourceServerId,
    sequence,
    sinceExportId: prior?.exportId ?? null,
    generationId: position.generationId,
    deploymentAnchor: answer.anchor,
    carriedContent,
    startedAt: at,
  });
  const span = (o: number, b: Buffer) => ({ offset: o, size: b.length, sha256: sha256Hex(b) });
  return {
    format: bundleFormat,
    formatVersion: bundleFormatVersion,
    exportId,
    sourceServerId,
    sequence,
    sinceExportId: prior?.exportId ?? null,
    createdAt: new Date(at).toISOString(),
    patchbayVersion: input.patchbayVersion,
    contentMode: input.content,
    includes: {
      approvals: input.approvals,
      declines: input.declines,
      groups: input.groups,
      rules: input.rules,
    },
    chunkSize,
    totalBytes: offset,
    documents: { ...span(0, documents), count: lines.length },
    deployments: span(documents.length, deployments),
    rules: span(documents.length + deployments.length, rules),
    content,
    contentMissing: missing,
    carriedContent,
    generationId: position.generationId,
  };
}

function filePart(path: string, size: number): StreamPart {
  return { size, read: (from) => createReadStream(path, { start: from, highWaterMark: 1024 * 1024 }) };
}

function storePart(store: ContentStore, sha1: string, size: number): StreamPart {
  return {
    size,
    read: async function* (from) {
      // The store verified the object at ingest; a file that changed since is refused by openRange.
      yield* await store.openRange(Buffer.from(sha1, 'hex'), from, size - 1);
    },
  };
}

async function atomicWrite(path: string, data: string | Buffer): Promise<void> {
  await writeFile(`${path}.tmp`, data);
  await rename(`${path}.tmp`, path);
}
