/**
 * Test harness for the connector: a migrated database (SQLite file or a database on a throwaway PostgreSQL
 * cluster) seeded in bulk straight into the tables under the public views (an active catalog generation of
 * security and non-security updates, groups, computers with report times, memberships, approvals and
 * states), a reference receiver on loopback, and connector INI files.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import type { FastifyInstance } from 'fastify';
import {
  buildConnectorReceiver,
  receiverGroupDir,
  securityUpdatesClassification,
} from '../../../src/connectors/index.js';
import {
  allComputersGroup,
  chunkRows,
  migrateToLatest,
  openDatabase,
  type DbHandle,
} from '../../../src/storage/index.js';
import type { PostgresCluster } from '../../helpers/postgres.js';

export const t0 = Date.UTC(2026, 9, 1, 8, 0, 0, 0);
export const otherClassification = 'e6cf1350-c01b-414d-a61f-263d14d133b4';

export function tempDir(t: TestContext, prefix = 'pb-conn-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export const guid = (prefix: string, n: number) =>
  `${prefix}-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
export const updateId = (n: number) => guid('aaaaaaaa', n);
export const computerId = (n: number) => guid('cccccccc', n);
export const groupId = (n: number) => guid('99999999', n);

export interface SeedOptions {
  /** Security updates (1..n) plus `otherUpdates` non-security ones. */
  securityUpdates: number;
  otherUpdates?: number;
  computers: number;
  /** Group names; computer i is a member of group (i % groups.length). */
  groups: readonly string[];
  /** Computer name of computer i. */
  name?: (i: number) => string;
  /** Report time of computer i. */
  reportedAt?: (i: number) => number | null;
  /** Update title of update j. */
  title?: (j: number) => string;
}

/** Opens a fresh migrated SQLite database (a real file). */
export async function sqliteDb(t: TestContext, dir: string): Promise<{ handle: DbHandle; path: string }> {
  const path = join(dir, 'patchbay.db');
  const handle = openDatabase({ driver: 'sqlite', path });
  t.after(() => handle.close());
  await migrateToLatest(handle);
  return { handle, path };
}

export async function postgresDb(
  t: TestContext,
  cluster: PostgresCluster,
): Promise<{ handle: DbHandle; url: string }> {
  const url = await cluster.createDatabase();
  const handle = openDatabase({ driver: 'postgres', connectionString: url, poolSize: 2 });
  t.after(() => handle.close());
  await migrateToLatest(handle);
  return { handle, url };
}

export async function seed(handle: DbHandle, o: SeedOptions): Promise<void> {
  const nUpdates = o.securityUpdates + (o.otherUpdates ?? 0);
  await handle.transaction(async (trx) => {
    const gen = await trx
      .insertInto('catalog_generations')
      .values({ state: 'active', member_count: nUpdates, created_at: t0, activated_at: t0 })
      .returning('generation_id')
      .executeTakeFirstOrThrow();
    const revs = Array.from({ length: nUpdates }, (_, j) => j + 1);
    for (const chunk of chunkRows(revs, 20)) {
      await trx
        .insertInto('revision_ids')
        .values(
          chunk.map((j) => ({
            revision_id: j,
            update_id: updateId(j),
            revision_number: 100,
            allocated_at: t0,
          })),
        )
        .execute();
      await trx
        .insertInto('revisions')
        .values(
          chunk.map((j) => ({
            revision_id: j,
            update_id: updateId(j),
            revision_number: 100,
            update_type: 'Software',
            is_category: 0,
            is_bundle: 0,
            is_explicitly_deployable: 1,
            publication_state: 'Published',
            handler: null,
            max_download_size: null,
            title: o.title ? o.title(j) : `Security Update ${j} (KB${5000000 + j})`,
            kb_article_id: String(5000000 + j),
            msrc_severity: j % 2 === 0 ? 'Critical' : 'Important',
            creation_date_at: t0 - j * 86_400_000,
            imported_at: t0,
            updated_at: t0,
          })),
        )
        .execute();
      await trx
        .insertInto('revision_categories')
        .values(
          chunk.map((j) => ({
            revision_id: j,
            category_update_id: j <= o.securityUpdates ? securityUpdatesClassification : otherClassification,
            kind: 'classification',
          })),
        )
        .execute();
      await trx
        .insertInto('generation_members')
        .values(
          chunk.map((j) => ({
            generation_id: gen.generation_id,
            revision_id: j,
            is_leaf: 1,
            is_bundle_member: 0,
          })),
        )
        .execute();
    }
    await trx
      .insertInto('computer_groups')
      .values(
        o.groups.map((name, g) => ({
          group_id: groupId(g + 1),
          name,
          parent_group_id: allComputersGroup,
          description: null,
          is_builtin: 0,
          created_at: t0,
          updated_at: t0,
        })),
      )
      .execute();
    // Approvals: group g approves update j for install when (j + g) is even.
    const approvals = o.groups.flatMap((_n, g) =>
      revs
        .filter((j) => (j + g) % 2 === 0)
        .map((j) => ({
          update_id: updateId(j),
          group_id: groupId(g + 1),
          action: 'install' as const,
          deadline_at: null,
          approved_by: 'test',
          approved_via: 'test',
          approved_at: t0,
        })),
    );
    for (const chunk of chunkRows(approvals, 7)) await trx.insertInto('approvals').values(chunk).execute();
  });

  // Computers, memberships and states in chunks of 2,000 computers per transaction.
  for (let start = 1; start <= o.computers; start += 2000) {
    const end = Math.min(o.computers, start + 1999);
    await handle.transaction(async (trx) => {
      const computers = [];
      const memberships = [];
      const states = [];
      for (let i = start; i <= end; i++) {
        const reported = o.reportedAt ? o.reportedAt(i) : t0 + i;
        computers.push({
          computer_id: computerId(i),
          dns_name: o.name ? o.name(i) : `pc-${i}.example.com`,
          registered_at: t0,
          updated_at: t0,
          last_report_at: reported,
        });
        memberships.push({
          computer_id: computerId(i),
          group_id: groupId((i % o.groups.length) + 1),
          source: 'server',
          added_at: t0,
        });
        for (let j = 1; j <= nUpdates; j++)
          states.push({
            computer_id: computerId(i),
            update_id: updateId(j),
            revision_id: j,
            state: (i + j) % 7,
            hresult: null,
            status_at: t0,
            updated_at: t0,
          });
      }
      for (const c of chunkRows(computers, 5)) await trx.insertInto('computers').values(c).execute();
      for (const c of chunkRows(memberships, 4))
        await trx.insertInto('group_memberships').values(c).execute();
      for (const c of chunkRows(states, 7)) await trx.insertInto('update_status').values(c).execute();
    });
  }
}

/** Sets the report time of some computers (as a client report would). */
export async function reportAt(handle: DbHandle, computers: readonly number[], at: number): Promise<void> {
  for (const c of chunkRows([...computers], 1))
    await handle.db
      .updateTable('computers')
      .set({ last_report_at: at })
      .where(
        'computer_id',
        'in',
        c.map((i) => computerId(i)),
      )
      .execute();
}

export interface RunningReceiver {
  url: string;
  dataDir: string;
  app: FastifyInstance;
  events(): ReceiverEvent[];
  /** The reassembled document of one acknowledged (instance, run, group), or undefined. */
  document(instance: string, runId: string, group: string): string | undefined;
  /** Every run id the receiver saw for an instance. */
  runs(instance: string): string[];
  stop(): Promise<void>;
}

export interface ReceiverEvent {
  event: string;
  instance?: string;
  group?: string;
  runId?: string;
  partIndex?: number;
  result?: string;
  authorized?: boolean;
  mode?: string;
}

export async function startReceiver(
  t: TestContext,
  dataDir: string,
  options: { token?: string; refuseGroups?: string[]; failAfterParts?: number; failCount?: number } = {},
): Promise<RunningReceiver> {
  const app = await buildConnectorReceiver({ dataDir, ...options });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const addr = app.server.address();
  const port = addr !== null && typeof addr === 'object' ? addr.port : 0;
  const r: RunningReceiver = {
    url: `http://127.0.0.1:${port}`,
    dataDir,
    app,
    events: () => {
      const f = join(dataDir, 'events.jsonl');
      if (!existsSync(f)) return [];
      return readFileSync(f, 'utf8')
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as ReceiverEvent);
    },
    document: (instance, runId, group) => {
      const dir = join(dataDir, instance, runId, receiverGroupDir(group));
      if (!existsSync(join(dir, 'stop.json'))) return undefined;
      const doc = readdirSync(dir).find((f) => f.startsWith('document.'));
      return doc === undefined ? undefined : readFileSync(join(dir, doc), 'utf8');
    },
    runs: (instance) => (existsSync(join(dataDir, instance)) ? readdirSync(join(dataDir, instance)) : []),
    stop: () => app.close(),
  };
  t.after(() => app.close());
  return r;
}

export interface InstanceIni {
  name: string;
  url: string;
  groups: readonly string[];
  extra?: Record<string, string>;
}

/** Writes a connector.ini; `source` lines go under [source]. */
export function writeIni(
  dir: string,
  source: Record<string, string>,
  instances: readonly InstanceIni[],
  connector: Record<string, string> = {},
  fileName = 'connector.ini',
): string {
  const lines = ['[connector]', ...Object.entries(connector).map(([k, v]) => `${k} = ${v}`), '', '[source]'];
  for (const [k, v] of Object.entries(source)) lines.push(`${k} = ${v}`);
  for (const inst of instances) {
    const u = new URL(inst.url);
    lines.push('', `[instance:${inst.name}]`, `server = ${u.hostname}`, `port = ${u.port}`, 'ssl = false');
    for (const g of inst.groups) lines.push(`groups[] = "${g}"`);
    lines.push(`output_dir = ${join(dir, 'out', inst.name)}`);
    for (const [k, v] of Object.entries(inst.extra ?? {})) lines.push(`${k} = ${v}`);
  }
  const file = join(dir, fileName);
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

/** Records of a JSON Lines document. */
export function jsonLines(text: string): Record<string, unknown>[] {
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}
