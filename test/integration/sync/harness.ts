/**
 * Shared pieces of the sync integration tests: a database per test on SQLite (a real file) or PostgreSQL (the
 * throwaway cluster of test/helpers/postgres.ts), a transport with short test timeouts and backoff, and
 * integrity checks run after every scenario.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { parseUpdateDocument } from '../../../src/protocol/update-xml/index.js';
import { decodeBlob, migrateToLatest, openDatabase, type DbHandle } from '../../../src/storage/index.js';
import { UpstreamTransport } from '../../../src/sync/index.js';
import { postgresSkipReason, startPostgresCluster, type PostgresCluster } from '../../helpers/postgres.js';

export type DbKind = 'sqlite' | 'postgres';

let cluster: Promise<{ cluster: PostgresCluster; template: string }> | undefined;

export const pgSkip = postgresSkipReason();

export function stopPostgres(): void {
  if (cluster !== undefined) void cluster.then((c) => c.cluster.stop());
}

/** A connection target for a fresh, migrated database. */
export async function databaseTarget(
  t: TestContext,
  kind: DbKind,
): Promise<{ driver: 'sqlite'; path: string } | { driver: 'postgres'; connectionString: string }> {
  if (kind === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'pb-sync-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const target = { driver: 'sqlite' as const, path: join(dir, 'patchbay.db') };
    const h = openDatabase(target);
    await migrateToLatest(h);
    await h.close();
    return target;
  }
  cluster ??= (async () => {
    const c = await startPostgresCluster();
    const template = 'pb_sync_template';
    const h = openDatabase({
      driver: 'postgres',
      connectionString: await c.createDatabase({ name: template }),
    });
    await migrateToLatest(h);
    await h.close();
    return { cluster: c, template };
  })();
  const { cluster: c, template } = await cluster;
  return { driver: 'postgres', connectionString: await c.createDatabase({ template }) };
}

export async function openTestDb(t: TestContext, kind: DbKind): Promise<DbHandle> {
  const target = await databaseTarget(t, kind);
  const h = openDatabase(target.driver === 'sqlite' ? target : { ...target, poolSize: 4 });
  t.after(() => h.close());
  return h;
}

export function testTransport(
  t: TestContext,
  extra: ConstructorParameters<typeof UpstreamTransport>[0] = {},
): UpstreamTransport {
  const tr = new UpstreamTransport({
    proxy: { mode: 'none' },
    timeouts: {
      soapDeadlineMs: 2_000,
      headersMs: 1_500,
      bodyIdleMs: 1_000,
      connectMs: 1_000,
      minRate: { bytes: 4096, windowMs: 400 },
    },
    retry: { maxAttempts: 6, baseDelayMs: 10, maxDelayMs: 50 },
    breaker: { failureThreshold: 50 },
    ...extra,
  });
  t.after(() => tr.close());
  return tr;
}

/**
 * Catalog integrity: at most one active generation and none half-built (staged) after a finished run, every
 * stored document re-parses with its own identity, no duplicate identities, every active member is stored.
 */
export async function checkIntegrity(db: DbHandle, options: { allowStaged?: boolean } = {}): Promise<void> {
  const gens = await db.db.selectFrom('catalog_generations').select(['generation_id', 'state']).execute();
  assert.ok(gens.filter((g) => g.state === 'active').length <= 1, 'at most one active generation');
  if (!options.allowStaged)
    assert.equal(gens.filter((g) => g.state === 'staged').length, 0, 'no staged generation left');
  const revs = await db.db
    .selectFrom('revisions')
    .select(['revision_id', 'update_id', 'revision_number'])
    .execute();
  const keys = new Set(revs.map((r) => `${r.update_id}/${r.revision_number}`));
  assert.equal(keys.size, revs.length, 'no duplicate identities');
  for (const r of revs) {
    const d = await db.db
      .selectFrom('revision_documents')
      .select(['codec', 'raw_size', 'data'])
      .where('revision_id', '=', r.revision_id)
      .executeTakeFirstOrThrow();
    const doc = parseUpdateDocument(
      decodeBlob({ codec: d.codec, rawSize: Number(d.raw_size), data: Buffer.from(d.data) }).toString('utf8'),
    );
    assert.equal(doc.identity.updateId, r.update_id);
    assert.equal(doc.identity.revisionNumber, r.revision_number);
  }
  const orphans = await db.db
    .selectFrom('generation_members')
    .leftJoin('revisions', 'revisions.revision_id', 'generation_members.revision_id')
    .select('generation_members.revision_id')
    .where('revisions.revision_id', 'is', null)
    .execute();
  assert.equal(orphans.length, 0);
}

export async function activeMembers(db: DbHandle): Promise<Set<string>> {
  const rows = await db.db
    .selectFrom('generation_members')
    .innerJoin('catalog_generations', 'catalog_generations.generation_id', 'generation_members.generation_id')
    .innerJoin('revisions', 'revisions.revision_id', 'generation_members.revision_id')
    .select(['revisions.update_id', 'revisions.revision_number'])
    .where('catalog_generations.state', '=', 'active')
    .execute();
  return new Set(rows.map((r) => `${r.update_id}/${r.revision_number}`));
}
