import { AppError } from '../../../errors.js';
import { bulkInsert, dialectOf } from '../bulk-insert.js';
import type { DialectName } from '../dialect.js';
import { chunkRows, inTransaction, type Executor } from '../transaction.js';
import type { RevisionIdentity } from './revision-types.js';

export const maxRevisionId = 0x7fffffff;

export function revisionKey(updateId: string, revisionNumber: number): string {
  return `${updateId}/${revisionNumber}`;
}

function normalise(identities: readonly RevisionIdentity[]): RevisionIdentity[] {
  const seen = new Set<string>();
  const out: RevisionIdentity[] = [];
  for (const i of identities) {
    if (!Number.isInteger(i.revisionNumber) || i.revisionNumber < 0 || i.revisionNumber > maxRevisionId)
      throw new AppError('PB_ERR_INVALID_PARAMETER', `bad revision number ${i.revisionNumber}`);
    const updateId = i.updateId.toLowerCase();
    const key = revisionKey(updateId, i.revisionNumber);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ updateId, revisionNumber: i.revisionNumber });
  }
  return out;
}

/**
 * Looks up already-allocated revision ids. Returns a map keyed by `revisionKey` (lower-case update id);
 * identities never allocated are absent.
 */
export async function lookupRevisionIds(
  executor: Executor,
  identities: readonly RevisionIdentity[],
): Promise<Map<string, number>> {
  const wanted = normalise(identities);
  const wantedKeys = new Set(wanted.map((i) => revisionKey(i.updateId, i.revisionNumber)));
  const out = new Map<string, number>();
  const updateIds = [...new Set(wanted.map((i) => i.updateId))];
  for (const chunk of chunkRows(updateIds, 1, 4000)) {
    const rows = await executor
      .selectFrom('revision_ids')
      .select(['revision_id', 'update_id', 'revision_number'])
      .where('update_id', 'in', chunk)
      .execute();
    for (const r of rows) {
      const key = revisionKey(r.update_id, r.revision_number);
      if (wantedKeys.has(key)) out.set(key, r.revision_id);
    }
  }
  return out;
}

/**
 * Allocates (or returns the existing) revision id of each identity. Ids come from a never-recycled
 * counter (SQLite AUTOINCREMENT, a PostgreSQL identity sequence) and the mapping rows are never
 * deleted, so an id is never handed to a different revision, even after the revision is removed.
 * Concurrent callers on PostgreSQL are safe: ON CONFLICT DO NOTHING waits for the other inserter and
 * the following read sees its committed row.
 */
export async function allocateRevisionIds(
  executor: Executor,
  identities: readonly RevisionIdentity[],
  now: number = Date.now(),
  dialect: DialectName = dialectOf(executor),
): Promise<Map<string, number>> {
  const wanted = normalise(identities);
  if (wanted.length === 0) return new Map();
  return inTransaction(executor, async (trx) => {
    const all = await lookupRevisionIds(trx, wanted);
    const missing = wanted.filter((i) => !all.has(revisionKey(i.updateId, i.revisionNumber)));
    if (missing.length > 0) {
      // RETURNING hands the new ids back without a second lookup; a row another PostgreSQL session inserted
      // meanwhile is skipped by DO NOTHING (and not returned), so only those few are looked up again.
      const inserted = await bulkInsert(
        trx,
        dialect,
        {
          table: 'revision_ids',
          columns: ['update_id', 'revision_number', 'allocated_at'],
          onConflict: 'on conflict ("update_id", "revision_number") do nothing',
          returning: '"revision_id", "update_id", "revision_number"',
        },
        missing.map((i) => [i.updateId, i.revisionNumber, now]),
      );
      for (const r of inserted)
        all.set(revisionKey(String(r.update_id), Number(r.revision_number)), Number(r.revision_id));
      const raced = missing.filter((i) => !all.has(revisionKey(i.updateId, i.revisionNumber)));
      if (raced.length > 0) for (const [k, v] of await lookupRevisionIds(trx, raced)) all.set(k, v);
    }
    for (const id of all.values()) {
      if (id > maxRevisionId)
        throw new AppError(
          'PB_ERR_DB',
          `revision id space exhausted (${id} > int32); a new server identity is needed`,
        );
    }
    return all;
  });
}
