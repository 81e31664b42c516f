import type { ExpressionBuilder } from 'kysely';
import type { StoredBlob } from '../blob-codec.js';
import type { ContentState, Database, GenerationMembersTable, RevisionsTable } from '../database.js';
import { chunkRows, type Executor } from '../transaction.js';
import type { RevisionIdentity } from './revision-types.js';

/** A row of the served-generation change log (migration 0008): what an anchor handed downstream names. */
export interface ServedPosition {
  /** Only grows; the counter of the wire anchor. */
  readonly seq: number;
  readonly generationId: number;
  readonly loggedAt: number;
}

/** What GetRevisionIdList asks of the served catalog (docs/upstream.md, the selection rule). */
export interface ServedRevisionQuery {
  readonly generationId: number;
  /**
   * The generation the downstream's anchor served: only members not in it are "changed". Undefined = no
   * anchor, or an anchor whose generation was pruned: everything.
   */
  readonly sinceGenerationId: number | undefined;
  /** true: categories and detectoids (GetConfig=true); false: updates. */
  readonly config: boolean;
  /** Products (filter `Categories`) and classifications; both undefined = no restriction. */
  readonly products: readonly string[] | undefined;
  readonly classifications: readonly string[] | undefined;
  /** Ids sent with `Delta=false`: revisions referencing one of them count as changed whatever the anchor. */
  readonly fullIds: readonly string[];
}

export interface ServedFile {
  readonly sha1: Buffer;
  readonly muUrl: string | null;
}

/** One revision as the upstream role serves it: the stored original document and its files in order. */
export interface ServedRevision extends RevisionIdentity {
  readonly revisionId: number;
  readonly document: StoredBlob;
  readonly files: readonly ServedFile[];
}

const configTypes = ['Category', 'Detectoid'];

type ServedExpressions = ExpressionBuilder<
  Database & { gm: GenerationMembersTable; r: RevisionsTable },
  'gm' | 'r'
>;

/**
 * Read side of the upstream role (src/upstream-service): only the active generation's members, never a
 * quarantined identity, and the change log the anchors are built on.
 */
export class UpstreamCatalogRepository {
  constructor(private readonly db: Executor) {}

  /**
   * The log row of the generation served now, appending one when the active generation changed since the
   * last row (lazily, on the first downstream call after an activation or rollback). Undefined when no
   * generation is active.
   */
  async currentPosition(now = Date.now()): Promise<ServedPosition | undefined> {
    const active = await this.db
      .selectFrom('catalog_generations')
      .select('generation_id')
      .where('state', '=', 'active')
      .executeTakeFirst();
    if (active === undefined) return undefined;
    const last = await this.latest();
    if (last !== undefined && last.generationId === active.generation_id) return last;
    // Two nodes may both append for one activation: two rows for one generation are harmless.
    await this.db
      .insertInto('upstream_catalog_log')
      .values({ generation_id: active.generation_id, logged_at: now })
      .execute();
    return this.latest();
  }

  async position(seq: number): Promise<ServedPosition | undefined> {
    const row = await this.db
      .selectFrom('upstream_catalog_log')
      .selectAll()
      .where('seq', '=', seq)
      .executeTakeFirst();
    return row && { seq: Number(row.seq), generationId: row.generation_id, loggedAt: Number(row.logged_at) };
  }

  /** Whether a generation's members are still stored (pruned generations lose them). */
  async generationKept(generationId: number): Promise<boolean> {
    const row = await this.db
      .selectFrom('catalog_generations')
      .select('state')
      .where('generation_id', '=', generationId)
      .executeTakeFirst();
    return row !== undefined && row.state !== 'abandoned';
  }

  private async latest(): Promise<ServedPosition | undefined> {
    const row = await this.db
      .selectFrom('upstream_catalog_log')
      .selectAll()
      .orderBy('seq', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row && { seq: Number(row.seq), generationId: row.generation_id, loggedAt: Number(row.logged_at) };
  }

  /**
   * The identities GetRevisionIdList answers, highest revision per update id, in update id order. An update
   * matches the filter when one of its categories or prerequisites is a listed product AND one a listed
   * classification (REAL WS2025: one list alone selects nothing).
   */
  async listRevisions(q: ServedRevisionQuery): Promise<RevisionIdentity[]> {
    if (!q.config && (q.products !== undefined || q.classifications !== undefined)) {
      if (!q.products?.length || !q.classifications?.length) return [];
    }
    const refersTo = (ids: readonly string[]) => (eb: ServedExpressions) =>
      eb.or([
        eb.exists(
          eb
            .selectFrom('revision_categories as rc')
            .select('rc.revision_id')
            .whereRef('rc.revision_id', '=', 'r.revision_id')
            .where('rc.category_update_id', 'in', ids),
        ),
        eb.exists(
          eb
            .selectFrom('revision_prerequisites as rp')
            .select('rp.revision_id')
            .whereRef('rp.revision_id', '=', 'r.revision_id')
            .where('rp.update_id', 'in', ids),
        ),
      ]);
    let query = this.db
      .selectFrom('generation_members as gm')
      .innerJoin('revisions as r', 'r.revision_id', 'gm.revision_id')
      .select(['r.update_id', 'r.revision_number'])
      .where('gm.generation_id', '=', q.generationId)
      .where('r.update_type', q.config ? 'in' : 'not in', configTypes)
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
    if (!q.config && q.products?.length && q.classifications?.length)
      query = query.where(refersTo(q.products)).where(refersTo(q.classifications));
    const since = q.sinceGenerationId;
    if (since !== undefined) {
      const full = q.config ? [] : q.fullIds;
      query = query.where((eb) => {
        const changed = eb.not(
          eb.exists(
            eb
              .selectFrom('generation_members as old')
              .select('old.revision_id')
              .where('old.generation_id', '=', since)
              .whereRef('old.revision_id', '=', 'gm.revision_id'),
          ),
        );
        return full.length === 0 ? changed : eb.or([changed, refersTo(full)(eb)]);
      });
    }
    const rows = await query.orderBy('r.update_id').orderBy('r.revision_number').execute();
    const out: RevisionIdentity[] = [];
    for (const r of rows) {
      const last = out.at(-1);
      const identity = { updateId: r.update_id, revisionNumber: r.revision_number };
      if (last !== undefined && last.updateId === r.update_id) out[out.length - 1] = identity;
      else out.push(identity);
    }
    return out;
  }

  /**
   * The served revisions among `identities` (active members, not quarantined), keyed `updateId/revision`,
   * with their original documents and files. Missing keys are identities the downstream may not have.
   */
  async servedRevisions(
    generationId: number,
    identities: readonly RevisionIdentity[],
  ): Promise<Map<string, ServedRevision>> {
    const wanted = new Set(identities.map((i) => `${i.updateId.toLowerCase()}/${i.revisionNumber}`));
    const updateIds = [...new Set(identities.map((i) => i.updateId.toLowerCase()))];
    const found = new Map<number, RevisionIdentity>();
    for (const chunk of chunkRows(updateIds, 1, 1000)) {
      const rows = await this.db
        .selectFrom('generation_members as gm')
        .innerJoin('revisions as r', 'r.revision_id', 'gm.revision_id')
        .leftJoin('quarantine as qu', (j) =>
          j.onRef('qu.update_id', '=', 'r.update_id').onRef('qu.revision_number', '=', 'r.revision_number'),
        )
        .select(['r.revision_id', 'r.update_id', 'r.revision_number', 'qu.reason_code'])
        .where('gm.generation_id', '=', generationId)
        .where('r.update_id', 'in', chunk)
        .execute();
      for (const r of rows)
        if (r.reason_code === null && wanted.has(`${r.update_id}/${r.revision_number}`))
          found.set(r.revision_id, { updateId: r.update_id, revisionNumber: r.revision_number });
    }
    const out = new Map<string, ServedRevision>();
    const revisionIds = [...found.keys()];
    if (revisionIds.length === 0) return out;
    const files = new Map<number, ServedFile[]>();
    const docs = new Map<number, StoredBlob>();
    for (const chunk of chunkRows(revisionIds, 1, 1000)) {
      const fileRows = await this.db
        .selectFrom('revision_files as rf')
        .innerJoin('files as f', 'f.sha1', 'rf.sha1')
        .select(['rf.revision_id', 'f.sha1', 'f.mu_url'])
        .where('rf.revision_id', 'in', chunk)
        .orderBy('rf.revision_id')
        .orderBy('rf.position')
        .execute();
      for (const f of fileRows) {
        const list = files.get(f.revision_id) ?? [];
        list.push({ sha1: Buffer.from(f.sha1), muUrl: f.mu_url });
        files.set(f.revision_id, list);
      }
      const docRows = await this.db
        .selectFrom('revision_documents')
        .select(['revision_id', 'codec', 'raw_size', 'data'])
        .where('revision_id', 'in', chunk)
        .execute();
      for (const d of docRows)
        docs.set(d.revision_id, { codec: d.codec, rawSize: Number(d.raw_size), data: Buffer.from(d.data) });
    }
    for (const [revisionId, identity] of found) {
      const document = docs.get(revisionId);
      if (document === undefined) continue;
      out.set(`${identity.updateId}/${identity.revisionNumber}`, {
        ...identity,
        revisionId,
        document,
        files: files.get(revisionId) ?? [],
      });
    }
    return out;
  }

  /** Content state of the files among `sha1s` that a served revision uses (DownloadFiles). */
  async servedFileStates(generationId: number, sha1s: readonly Buffer[]): Promise<Map<string, ContentState>> {
    const out = new Map<string, ContentState>();
    for (const chunk of chunkRows(sha1s, 1, 1000)) {
      const rows = await this.db
        .selectFrom('files as f')
        .select(['f.sha1', 'f.content_state'])
        .where('f.sha1', 'in', chunk)
        .where((eb) =>
          eb.exists(
            eb
              .selectFrom('revision_files as rf')
              .innerJoin('generation_members as gm', 'gm.revision_id', 'rf.revision_id')
              .select('rf.revision_id')
              .whereRef('rf.sha1', '=', 'f.sha1')
              .where('gm.generation_id', '=', generationId),
          ),
        )
        .execute();
      for (const r of rows) out.set(Buffer.from(r.sha1).toString('hex'), r.content_state);
    }
    return out;
  }
}
