import type { Executor } from '../transaction.js';

export type BundleRole = 'export' | 'import';

export interface BundleRecord {
  readonly role: BundleRole;
  readonly exportId: string;
  readonly sourceServerId: string;
  readonly sequence: number;
  readonly sinceExportId: string | null;
  readonly generationId: number | null;
  readonly deploymentAnchor: string | null;
  /** Export: SHA-1s (hex) carried by this export and those it continues. */
  readonly carriedContent: string[];
  /** Import: chunks verified so far. */
  readonly verifiedChunks: VerifiedChunk[];
  readonly manifestSha256: string | null;
  readonly startedAt: number;
  readonly finishedAt: number | null;
}

export interface VerifiedChunk {
  readonly index: number;
  readonly size: number;
  readonly mtimeMs: number;
}

type Row = {
  role: BundleRole;
  export_id: string;
  source_server_id: string;
  sequence: number | string;
  since_export_id: string | null;
  generation_id: number | string | null;
  deployment_anchor: string | null;
  carried_content: string;
  verified_chunks: string;
  manifest_sha256: string | null;
  started_at: number | string;
  finished_at: number | string | null;
};

function toRecord(r: Row): BundleRecord {
  return {
    role: r.role,
    exportId: r.export_id,
    sourceServerId: r.source_server_id,
    sequence: Number(r.sequence),
    sinceExportId: r.since_export_id,
    generationId: r.generation_id === null ? null : Number(r.generation_id),
    deploymentAnchor: r.deployment_anchor,
    carriedContent: JSON.parse(r.carried_content) as string[],
    verifiedChunks: JSON.parse(r.verified_chunks) as VerifiedChunk[],
    manifestSha256: r.manifest_sha256,
    startedAt: Number(r.started_at),
    finishedAt: r.finished_at === null ? null : Number(r.finished_at),
  };
}

/** Bundles exported and imported (migration 0020): incremental exports and the import replay check. */
export class BundleRepository {
  constructor(private readonly db: Executor) {}

  async get(role: BundleRole, exportId: string): Promise<BundleRecord | undefined> {
    const row = await this.db
      .selectFrom('bundles')
      .selectAll()
      .where('role', '=', role)
      .where('export_id', '=', exportId)
      .executeTakeFirst();
    return row && toRecord(row);
  }

  /** The finished bundle with the highest sequence (exports: of this server; imports: from `sourceServerId`). */
  async lastFinished(role: BundleRole, sourceServerId?: string): Promise<BundleRecord | undefined> {
    let q = this.db
      .selectFrom('bundles')
      .selectAll()
      .where('role', '=', role)
      .where('finished_at', 'is not', null);
    if (sourceServerId !== undefined) q = q.where('source_server_id', '=', sourceServerId);
    const row = await q.orderBy('sequence', 'desc').limit(1).executeTakeFirst();
    return row && toRecord(row);
  }

  /** The highest sequence handed out to an export, finished or not (0 when none). */
  async highestExportSequence(): Promise<number> {
    const row = await this.db
      .selectFrom('bundles')
      .select((eb) => eb.fn.max('sequence').as('top'))
      .where('role', '=', 'export')
      .executeTakeFirst();
    return row?.top == null ? 0 : Number(row.top);
  }

  async start(r: Omit<BundleRecord, 'verifiedChunks' | 'manifestSha256' | 'finishedAt'>): Promise<void> {
    await this.db
      .insertInto('bundles')
      .values({
        role: r.role,
        export_id: r.exportId,
        source_server_id: r.sourceServerId,
        sequence: r.sequence,
        since_export_id: r.sinceExportId,
        generation_id: r.generationId,
        deployment_anchor: r.deploymentAnchor,
        carried_content: JSON.stringify(r.carriedContent),
        started_at: r.startedAt,
      })
      .onConflict((oc) => oc.columns(['role', 'export_id']).doNothing())
      .execute();
  }

  async recordVerified(exportId: string, chunks: readonly VerifiedChunk[]): Promise<void> {
    await this.db
      .updateTable('bundles')
      .set({ verified_chunks: JSON.stringify(chunks) })
      .where('role', '=', 'import')
      .where('export_id', '=', exportId)
      .execute();
  }

  async finish(role: BundleRole, exportId: string, manifestSha256: string, now = Date.now()): Promise<void> {
    await this.db
      .updateTable('bundles')
      .set({ finished_at: now, manifest_sha256: manifestSha256 })
      .where('role', '=', role)
      .where('export_id', '=', exportId)
      .execute();
  }

  /** An unfinished import that was refused: nothing of it stays. */
  async forget(role: BundleRole, exportId: string): Promise<void> {
    await this.db
      .deleteFrom('bundles')
      .where('role', '=', role)
      .where('export_id', '=', exportId)
      .where('finished_at', 'is', null)
      .execute();
  }
}

/** Catalog reads of an export: every member of a generation, configuration revisions first. */
export class BundleCatalogRepository {
  constructor(private readonly db: Executor) {}

  /**
   * Every member of `generationId` not quarantined (all revisions, bundle children by their exact identity),
   * minus the members of `sinceGenerationId` when given: categories and detectoids first (an import resolves
   * an update's category kinds from them), then by update id and revision.
   */
  async memberIdentities(
    generationId: number,
    sinceGenerationId: number | undefined,
  ): Promise<{ updateId: string; revisionNumber: number }[]> {
    let q = this.db
      .selectFrom('generation_members as gm')
      .innerJoin('revisions as r', 'r.revision_id', 'gm.revision_id')
      .select(['r.update_id', 'r.revision_number', 'r.update_type'])
      .where('gm.generation_id', '=', generationId)
      .where((eb) =>
        eb.not(
          eb.exists(
            eb
              .selectFrom('quarantine as qu')
              .select('qu.update_id')
              .whereRef('qu.update_id', '=', 'r.update_id')
              .whereRef('qu.revision_number', '=', 'r.revision_number'),
          ),
        ),
      );
    if (sinceGenerationId !== undefined)
      q = q.where((eb) =>
        eb.not(
          eb.exists(
            eb
              .selectFrom('generation_members as old')
              .select('old.revision_id')
              .where('old.generation_id', '=', sinceGenerationId)
              .whereRef('old.revision_id', '=', 'gm.revision_id'),
          ),
        ),
      );
    const rows = await q.orderBy('r.update_id').orderBy('r.revision_number').execute();
    const config = (t: string) => (t === 'Category' || t === 'Detectoid' ? 0 : 1);
    return rows
      .sort((a, b) => config(a.update_type) - config(b.update_type))
      .map((r) => ({ updateId: r.update_id, revisionNumber: r.revision_number }));
  }
}
