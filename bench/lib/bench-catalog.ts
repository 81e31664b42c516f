/**
 * The SYNTHETIC catalog the server benchmarks serve (sync-updates, xpress, catalog-rings, storm): a Company ->
 * Family -> Product category chain, 2 classifications, 24 detectoids (one level deep) and software leaves with
 * a detectoid prerequisite, two categories and one file; one activated generation; the first `approvals`
 * leaves approved for install to group "Bench" (client-side targeting, as a GPO-targeted fleet). Leaves are
 * built and stored in chunks so a 500,000-revision catalog never sits in memory at once.
 */
import { bulkInsert, createRepositories, type DbHandle } from '../../src/storage/index.js';
import { syntheticRevision } from '../../test/helpers/seed-catalog.js';

export const benchGroupName = 'Bench';
export const benchGuid = (n: number): string => `10000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;

export interface BenchCatalog {
  /** Revision ids of the categories and detectoids (what a client holds as installed non-leaf). */
  readonly nonLeafIds: number[];
  /** Revision ids of the leaves in catalog order; the first `approvals` of them are approved. */
  readonly leafIds: number[];
  readonly approvals: number;
  /** The detectoid no client holds, gating the leaves beyond `applicableLeaves` (absent when all apply). */
  readonly unmetDetectoidId: number | undefined;
  readonly groupId: string;
  readonly revisions: number;
}

const chunkSize = 5_000;

export async function seedBenchCatalog(
  handle: DbHandle,
  opts: {
    revisions: number;
    approvals: number;
    /**
     * Leaves a client can be offered; the rest need a detectoid no client holds, so a large catalog
     * (500,000 revisions) still pages a fleet only what applies to it, as a real fleet's scan does.
     */
    applicableLeaves?: number;
  },
): Promise<BenchCatalog> {
  const repos = createRepositories(handle);
  const nonLeaf = [
    syntheticRevision({ updateId: benchGuid(1), type: 'Category' }),
    syntheticRevision({ updateId: benchGuid(2), type: 'Category', categoryPrerequisites: [benchGuid(1)] }),
    syntheticRevision({ updateId: benchGuid(3), type: 'Category', categoryPrerequisites: [benchGuid(2)] }),
    syntheticRevision({ updateId: benchGuid(4), type: 'Category' }),
    syntheticRevision({ updateId: benchGuid(5), type: 'Category' }),
    ...Array.from({ length: 24 }, (_, i) =>
      syntheticRevision({
        updateId: benchGuid(100 + i),
        type: 'Detectoid',
        prerequisites: i > 0 ? [[benchGuid(100)]] : [],
      }),
    ),
  ];
  const applicable = opts.applicableLeaves ?? Number.POSITIVE_INFINITY;
  const unmet = benchGuid(124);
  const gated = applicable < opts.revisions - nonLeaf.length;
  const leafCount = opts.revisions - nonLeaf.length - (gated ? 1 : 0);
  const leaf = (i: number) =>
    syntheticRevision({
      updateId: benchGuid(10_000 + i),
      type: 'Software',
      prerequisites: [[i < applicable ? benchGuid(100 + (i % 24)) : unmet]],
      categoryPrerequisites: [benchGuid(3), benchGuid(4 + (i % 2))],
      files: [{ name: `kb${i}.msu`, bytes: Buffer.from(`synthetic payload ${i}`) }],
    });
  const nonLeafIds = await repos.revisions.upsertMany(nonLeaf);
  const unmetDetectoidId = gated
    ? (await repos.revisions.upsertMany([syntheticRevision({ updateId: unmet, type: 'Detectoid' })]))[0]
    : undefined;
  const leafIds: number[] = [];
  for (let i = 0; i < leafCount; i += chunkSize) {
    const chunk = Array.from({ length: Math.min(chunkSize, leafCount - i) }, (_, n) => leaf(i + n));
    leafIds.push(...(await repos.revisions.upsertMany(chunk)));
  }
  const gen = await repos.generations.createStaged({ note: 'bench' });
  const all = [...nonLeafIds, ...(unmetDetectoidId === undefined ? [] : [unmetDetectoidId]), ...leafIds];
  for (let i = 0; i < all.length; i += 50_000)
    await repos.generations.addMembers(
      gen.generationId,
      all.slice(i, i + 50_000).map((revisionId) => ({ revisionId, isLeaf: false, isBundleMember: false })),
    );
  await repos.generations.activate(gen.generationId);
  const group = await repos.groups.create({ name: benchGroupName });
  await repos.settings.set('targeting.mode', 'client', 'bench');
  const approved = Array.from({ length: Math.min(opts.approvals, leafCount) }, (_, i) => i);
  await repos.approvals.set(
    approved.map((i) => ({
      updateId: benchGuid(10_000 + i),
      groupId: group.groupId,
      action: 'install' as const,
      approvedBy: 'bench',
      approvedVia: 'api',
    })),
  );
  return {
    nonLeafIds,
    leafIds,
    unmetDetectoidId,
    approvals: approved.length,
    groupId: group.groupId,
    revisions: all.length,
  };
}

/** `count` registered computers in group "Bench" through bulk INSERTs (the fleet a storm scans from). */
export async function seedBenchComputers(
  handle: DbHandle,
  groupId: string,
  count: number,
  idOf: (n: number) => string,
): Promise<void> {
  const now = Date.now();
  for (let i = 0; i < count; i += 20_000) {
    const ids = Array.from({ length: Math.min(20_000, count - i) }, (_, n) => idOf(i + n));
    await bulkInsert(
      handle.db,
      handle.dialect,
      { table: 'computers', columns: ['computer_id', 'dns_name', 'registered_at', 'updated_at'] },
      ids.map((id, n) => [id, `pc${i + n}.bench.test`, now, now]),
    );
    await bulkInsert(
      handle.db,
      handle.dialect,
      { table: 'group_memberships', columns: ['computer_id', 'group_id', 'source', 'added_at'] },
      ids.map((id) => [id, groupId, 'client', now]),
    );
  }
}
