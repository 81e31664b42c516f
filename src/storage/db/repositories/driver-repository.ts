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
   * that many rows of each id, read as one `limit`ed index range per id (cost O(perId) per id, however many
   * drivers an id has); without it every row of the ids, at most `maxRows` in all.
   */
  async forHardwareIds(
    hardwareIds: readonly string[],
    perId?: number,
    maxRows = 200_000,
  ): Promise<DriverRow[]> {
    const ids = [...new Set(hardwareIds.map((h) => h.toLowerCase()))];
    const out: DriverRow[] = [];
    const columns = sql.raw('revision_id, hardware_id, ver_date, ver_version, manufacturer, provider');
    for (const chunk of chunkRows(ids, 1, perId === undefined ? 1000 : 200)) {
      if (out.length >= maxRows) break;
      let rows: DriverColumns[];
      if (perId === undefined)
        rows = await this.db
          .selectFrom('revision_drivers')
          .select(['revision_id', 'hardware_id', 'ver_date', 'ver_version', 'manufacturer', 'provider'])
          .where('hardware_id', 'in', chunk)
          .orderBy('hardware_id')
          .orderBy('ver_date', 'desc')
          .orderBy('ver_version', 'desc')
          .limit(maxRows - out.length)
          .execute();
      else {
        const parts = chunk.map(
          (id, i) =>
            sql`select * from (select ${columns} from revision_drivers where hardware_id = ${id} order by ver_date desc, ver_version desc limit ${perId}) as ${sql.raw(`t${i}`)}`,
        );
        rows = (await sql<DriverColumns>`${sql.join(parts, sql` union all `)}`.execute(this.db)).rows;
        // UNION ALL keeps no order by itself: newest first per id again.
        rows.sort(
          (x, y) =>
            cmp(x.hardware_id, y.hardware_id) ||
            cmp(y.ver_date, x.ver_date) ||
            cmp(y.ver_version, x.ver_version),
        );
      }
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

interface DriverColumns {
  revision_id: number;
  hardware_id: string;
  ver_date: string;
  ver_version: string;
  manufacturer: string | null;
  provider: string | null;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
