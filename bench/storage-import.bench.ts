/**
 * P4 (targets.md): revisions stored per second through RevisionRepository.upsertMany on SQLite (batches
 * of 1,000, each one transaction; revision ids allocated, metadata + document + 2 fragments + 1 localized
 * + 2 prerequisite clauses + 1 supersedence + 2 categories + 1 file per revision). Anchor, same run:
 * the same rows written with raw better-sqlite3 prepared statements in a single transaction (the
 * fastest SQLite can take them). Blobs are pre-encoded outside the timing, as the importer does.
 *
 * Run: npx tsx bench/storage-import.bench.ts [--quick]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import SQLite from 'better-sqlite3';
import {
  encodeBlob,
  migrateToLatest,
  openDatabase,
  RevisionRepository,
  toStoredBlob,
} from '../src/storage/index.js';
import type { RevisionInput } from '../src/storage/index.js';
import { formatResult, type BenchOptions, type BenchResult } from './lib/result.js';

const guid = (n: number) =>
  `${n.toString(16).padStart(8, '0')}-0000-4000-8000-${(n * 7919).toString(16).padStart(12, '0').slice(-12)}`;

function makeRevisions(count: number): RevisionInput[] {
  const doc = encodeBlob(
    `<upd:Update>${'<bar:RegSz Key="HKEY_LOCAL_MACHINE" Subkey="x" />'.repeat(60)}</upd:Update>`,
  );
  const out: RevisionInput[] = [];
  for (let i = 1; i <= count; i++) {
    const sha1 = Buffer.alloc(20);
    sha1.writeUInt32BE(i, 0);
    out.push({
      updateId: guid(i),
      revisionNumber: 200,
      updateType: 'Software',
      title: `Security Intelligence Update ${i}`,
      handler: 'http://schemas.microsoft.com/msus/2002/12/UpdateHandlers/CommandLineInstallation',
      document: doc,
      coreFragment: toStoredBlob(
        `<UpdateIdentity UpdateID="${guid(i)}" RevisionNumber="200" />${'<Properties UpdateType="Software" />'.repeat(6)}`,
      ),
      extendedFragment: toStoredBlob(
        `<ExtendedProperties DefaultPropertiesLanguage="en" MaxDownloadSize="11610576" />`.repeat(3),
      ),
      localized: [
        {
          language: 'en',
          title: `Update ${i}`,
          fragment: `<Language>en</Language><Title>Update ${i}</Title>`,
        },
      ],
      prerequisites: [
        { isCategory: false, updateIds: [guid(count + 1)] },
        { isCategory: true, updateIds: [guid(count + 2), guid(count + 3)] },
      ],
      supersededUpdateIds: [guid(i + count * 2)],
      categories: [
        { updateId: guid(count + 2), kind: 'product' },
        { updateId: guid(count + 3), kind: 'classification' },
      ],
      files: [
        {
          sha1,
          sha256: Buffer.alloc(32, i & 0xff),
          size: 11_610_576,
          name: `am_delta_${i}.exe`,
          muUrl: `http://download.example/${i}`,
        },
      ],
    });
  }
  return out;
}

async function timeRepository(dir: string, revisions: RevisionInput[], batch: number): Promise<number> {
  const handle = openDatabase({ driver: 'sqlite', path: join(dir, 'repo.db') });
  await migrateToLatest(handle);
  const repo = new RevisionRepository(handle.db);
  const t0 = performance.now();
  for (let i = 0; i < revisions.length; i += batch) await repo.upsertMany(revisions.slice(i, i + batch));
  const ms = performance.now() - t0;
  if ((await repo.count()) !== revisions.length)
    throw new Error('repository stored the wrong number of revisions');
  await handle.close();
  return (revisions.length / ms) * 1000;
}

async function timeRawAnchor(dir: string, revisions: RevisionInput[]): Promise<number> {
  const path = join(dir, 'raw.db');
  const handle = openDatabase({ driver: 'sqlite', path });
  await migrateToLatest(handle);
  await handle.close();
  const db = new SQLite(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  const now = Date.now();
  const s = {
    id: db.prepare('insert into revision_ids (update_id, revision_number, allocated_at) values (?, ?, ?)'),
    rev: db.prepare(
      'insert into revisions (revision_id, update_id, revision_number, update_type, is_category, is_bundle, is_explicitly_deployable, handler, title, imported_at, updated_at) values (?, ?, ?, ?, 0, 0, 0, ?, ?, ?, ?)',
    ),
    doc: db.prepare(
      'insert into revision_documents (revision_id, codec, raw_size, data) values (?, ?, ?, ?)',
    ),
    frag: db.prepare(
      'insert into revision_fragments (revision_id, kind, codec, raw_size, data) values (?, ?, ?, ?, ?)',
    ),
    loc: db.prepare(
      'insert into revision_localized (revision_id, language, title, codec, raw_size, data) values (?, ?, ?, ?, ?, ?)',
    ),
    pre: db.prepare(
      'insert into revision_prerequisites (revision_id, clause_index, update_id, is_category) values (?, ?, ?, ?)',
    ),
    sup: db.prepare('insert into revision_supersedes (revision_id, update_id) values (?, ?)'),
    cat: db.prepare(
      'insert into revision_categories (revision_id, category_update_id, kind) values (?, ?, ?)',
    ),
    file: db.prepare(
      'insert into files (sha1, sha256, size, name, mu_url, content_state, state_changed_at, attempts, created_at) values (?, ?, ?, ?, ?, ?, ?, 0, ?)',
    ),
    rf: db.prepare('insert into revision_files (revision_id, position, sha1, file_name) values (?, ?, ?, ?)'),
  };
  const t0 = performance.now();
  db.transaction(() => {
    for (const r of revisions) {
      const id = Number(s.id.run(r.updateId, r.revisionNumber, now).lastInsertRowid);
      s.rev.run(id, r.updateId, r.revisionNumber, r.updateType, r.handler, r.title, now, now);
      const d = toStoredBlob(r.document);
      s.doc.run(id, d.codec, d.rawSize, d.data);
      for (const [kind, b] of [
        ['core', toStoredBlob(r.coreFragment)],
        ['extended', toStoredBlob(r.extendedFragment)],
      ] as const)
        s.frag.run(id, kind, b.codec, b.rawSize, b.data);
      for (const l of r.localized ?? []) {
        const b = toStoredBlob(l.fragment);
        s.loc.run(id, l.language, l.title, b.codec, b.rawSize, b.data);
      }
      (r.prerequisites ?? []).forEach((c, ci) => {
        for (const u of c.updateIds) s.pre.run(id, ci, u, c.isCategory ? 1 : 0);
      });
      for (const u of r.supersededUpdateIds ?? []) s.sup.run(id, u);
      for (const c of r.categories ?? []) s.cat.run(id, c.updateId, c.kind);
      (r.files ?? []).forEach((f, pos) => {
        s.file.run(f.sha1, f.sha256, f.size, f.name, f.muUrl, 'absent', now, now);
        s.rf.run(id, pos, f.sha1, f.name);
      });
    }
  })();
  const ms = performance.now() - t0;
  db.close();
  return (revisions.length / ms) * 1000;
}

export async function run(opts: BenchOptions): Promise<BenchResult[]> {
  const count = opts.quick ? 2_000 : 50_000;
  const revisions = makeRevisions(count);
  const dir = mkdtempSync(join(tmpdir(), 'pb-bench-storage-'));
  try {
    const anchor = await timeRawAnchor(dir, revisions);
    const value = await timeRepository(dir, revisions, 1_000);
    const ratio = value / anchor;
    return [
      {
        id: 'P4',
        name: `SQLite revision import via RevisionRepository (${count} revisions, batches of 1,000)`,
        value,
        unit: 'revisions/s',
        anchor,
        anchorName: 'raw better-sqlite3 prepared inserts, one transaction',
        ratio,
        target: '>= 20,000 revisions/s and >= 0.2x',
        pass: value >= 20_000 && ratio >= 0.2,
      },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const results = await run({ quick: process.argv.includes('--quick') });
  for (const r of results) console.log(formatResult(r));
}
