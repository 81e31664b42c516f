import { sql } from 'kysely';
import { chunkRows, type Executor } from '../transaction.js';

/** One `revision_drivers` row as the driver pass ranks it. */
export interface DriverRow {
  readonly revisionId: number;
  /** Lower case. */
  readonly hardwareId: string;
  readonly verDate: string;
  readonly verVersion: string;
  readonly manufacturer: string | null;
  readonly provider: string | null;
}

/**
 * Reads of the driver metadata (migration 0022). Every read goes through the `hardware_id` index: the cost of a
 * driver pass is the drivers for the ids the client sent, never the driver catalog.
 */
export class DriverRepository {
  constructor(private readonly db: Executor) {}

  /**
   * Rows for these hardware ids (any case), newest first per id (date, then version). With `perId`, at most
   * that many rows of each id (a window over the index range, so a pass never ships thousands of old drivers
   * of one id); without it every row of the ids, at most `maxRows` in all.
   */
  async forHardwareIds(
    hardwareIds: readonly string[],
    perId?: number,
    maxRows = 200_000,
  ): Promise<DriverRow[]> {
    const ids = [...new Set(hardwareIds.map((h) => h.toLowerCase()))];
    const out: DriverRow[] = [];
    for (const chunk of chunkRows(ids, 1, 1000)) {
      if (out.length >= maxRows) break;
      const ranked = this.db
        .selectFrom('revision_drivers')
        .select([
          'revision_id',
          'hardware_id',
          'ver_date',
          'ver_version',
          'manufacturer',
          'provider',
          sql<number>`row_number() over (partition by hardware_id order by ver_date desc, ver_version desc)`.as(
            'rn',
          ),
        ])
        .where('hardware_id', 'in', chunk)
        .as('ranked');
      let q = this.db.selectFrom(ranked).selectAll();
      if (perId !== undefined) q = q.where('rn', '<=', perId);
      const rows = await q
        .orderBy('hardware_id')
        .orderBy('rn')
        .limit(maxRows - out.length)
        .execute();
      for (const r of rows)
        out.push({
          revisionId: r.revision_id,
          hardwareId: r.hardware_id,
          verDate: r.ver_date,
          verVersion: r.ver_version,
          manufacturer: r.manufacturer,
          provider: r.provider,
        });
    }
    return out;
  }

  /** Prerequisite clauses (update ids, lower case) per revision, for the given revisions. */
  async prerequisites(revisionIds: readonly number[]): Promise<Map<number, string[][]>> {
    const out = new Map<number, string[][]>();
    for (const chunk of chunkRows([...new Set(revisionIds)], 1, 4000)) {
      const rows = await this.db
        .selectFrom('revision_prerequisites')
        .select(['revision_id', 'clause_index', 'update_id'])
        .where('revision_id', 'in', chunk)
        .where('is_category', '=', 0)
        .execute();
      for (const r of rows) {
        let clauses = out.get(r.revision_id);
        if (clauses === undefined) out.set(r.revision_id, (clauses = []));
        (clauses[r.clause_index] ??= []).push(r.update_id);
      }
    }
    // Clause indices count category clauses too: drop the holes they leave.
    for (const [id, clauses] of out)
      out.set(
        id,
        clauses.filter((c) => c !== undefined),
      );
    return out;
  }
}
