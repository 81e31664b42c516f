/** A migrated SQLite database per test and direct `files` rows, for the downloader tests. */
import type { TestContext } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  FsContentStore,
  migrateToLatest,
  openDatabase,
  UpstreamTransport,
  type ContentState,
  type DbHandle,
} from './imports.js';
import type { FakeFile } from './fake-content-upstream.js';

export interface Downstream {
  readonly dir: string;
  readonly dbPath: string;
  readonly db: DbHandle;
  readonly store: FsContentStore;
  readonly transport: UpstreamTransport;
}

export async function openDownstream(t: TestContext): Promise<Downstream> {
  const dir = mkdtempSync(join(tmpdir(), 'pb-content-sync-'));
  const dbPath = join(dir, 'patchbay.db');
  const db = openDatabase({ driver: 'sqlite', path: dbPath });
  await migrateToLatest(db);
  const store = await FsContentStore.open(join(dir, 'content'));
  // One attempt per call: the downloader's own retries are what these tests exercise.
  const transport = new UpstreamTransport({
    proxy: { mode: 'none' },
    retry: { maxAttempts: 1 },
    breaker: { failureThreshold: 1000 },
  });
  t.after(async () => {
    await transport.close();
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { dir, dbPath, db, store, transport };
}

/** Inserts `files` rows as the revision import would (without revisions), in a given state. */
export async function insertFiles(
  db: DbHandle,
  files: readonly FakeFile[],
  state: ContentState = 'queued',
  muUrl?: (f: FakeFile) => string,
): Promise<void> {
  const now = Date.now();
  for (const f of files)
    await db.db
      .insertInto('files')
      .values({
        sha1: f.sha1,
        sha256: f.sha256,
        size: f.size,
        name: f.name,
        mu_url: muUrl ? muUrl(f) : null,
        content_state: state,
        state_changed_at: now,
        attempts: 0,
        last_error: null,
        created_at: now,
      })
      .execute();
}

export async function stateOf(db: DbHandle, f: FakeFile) {
  return db.db
    .selectFrom('files')
    .select(['content_state', 'last_error', 'attempts'])
    .where('sha1', '=', f.sha1)
    .executeTakeFirstOrThrow();
}

export async function readStored(store: FsContentStore, f: FakeFile): Promise<Buffer> {
  if (f.size === 0) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  for await (const c of await store.openRange(f.sha1, 0, f.size - 1)) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}
