/**
 * Issue 18 item 2: the client driver pass over a 200,000-driver catalog for 50 hardware ids (quick: 20,000),
 * on a real SQLite database. The catalog is the generative model of the driver tests
 * (test/helpers/fake-upstream/driver-catalog.ts), stored through RevisionRepository.upsertMany (the import's
 * storage path; the sync path's SOAP and parsing are the sync-import bench's); two drivers of three approved.
 * A pass is a client with 3 devices (hardware id + compatible id each): `answerDriverPass` as ClientWebService
 * runs it (the hardware-id index lookup, the ranking, the prerequisite read of the chosen drivers).
 *
 * Figure: driver passes/s; anchor: the bare indexed `count(*)` of the same ids' rows (the least any
 * implementation that reads the matching drivers does), same run, same database.
 * Run: `npx tsx bench/driver-pass.bench.ts [--quick]`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildCatalogIndex, compileScope, type CatalogRevisionInput } from '../src/catalog/index.js';
import { storageDriverSource } from '../src/client-service/storage-adapters.js';
import { answerDriverPass, driverPassDevices } from '../src/client-service/driver-source.js';
import { packDriverVersion } from '../src/protocol/update-xml/index.js';
import {
  createRepositories,
  encodeBlob,
  migrateToLatest,
  openDatabase,
  type RevisionInput,
} from '../src/storage/index.js';
import { buildDriverCatalog, hardwareIdOf } from '../test/helpers/fake-upstream/driver-catalog.js';
import { formatResult, type BenchResult } from './lib/result.js';

async function rate(fn: () => Promise<unknown>, ms: number): Promise<number> {
  const loop = async (budget: number): Promise<number> => {
    const start = performance.now();
    let done = 0;
    while (performance.now() - start < budget) {
      await fn();
      done++;
    }
    return done / ((performance.now() - start) / 1000);
  };
  await loop(ms / 4);
  return loop(ms);
}

export async function run(opts: { quick: boolean }): Promise<BenchResult[]> {
  const count = opts.quick ? 20_000 : 200_000;
  const ms = opts.quick ? 500 : 3000;
  const dir = mkdtempSync(join(tmpdir(), 'pb-bench-drivers-'));
  const handle = openDatabase({ driver: 'sqlite', path: join(dir, 'patchbay.db') });
  try {
    await migrateToLatest(handle);
    const model = buildDriverCatalog(count, 50);
    const blob = encodeBlob(Buffer.from('<x/>'), 'none');
    const repos = createRepositories(handle);
    const seeded = performance.now();
    const revisionIds: number[] = [];
    for (let i = 0; i < count; i += 5000) {
      const inputs: RevisionInput[] = model.drivers.slice(i, i + 5000).map((d) => ({
        updateId: d.updateId,
        revisionNumber: 100,
        updateType: 'Driver',
        isExplicitlyDeployable: true,
        document: blob,
        coreFragment: blob,
        extendedFragment: blob,
        drivers: d.hardwareIds.map((h) => ({
          hardwareId: h,
          verDate: d.verDate,
          verVersion: packDriverVersion(d.verVersion)!,
        })),
      }));
      revisionIds.push(...(await repos.revisions.upsertMany(inputs)));
    }
    const seedMs = performance.now() - seeded;
    const records: CatalogRevisionInput[] = model.drivers.map((d, i) => ({
      revisionId: revisionIds[i]!,
      updateId: d.updateId,
      revisionNumber: 100,
      kind: 'driver',
      prerequisites: [],
      expired: false,
      lastChangeAt: 0,
    }));
    const index = buildCatalogIndex(records);
    const scope = compileScope(index, {
      anchor: 1,
      deployments: model.drivers
        .filter((_, i) => i % 3 !== 0)
        .map((d, i) => ({
          updateId: d.updateId,
          decision: 'install' as const,
          deploymentId: 2 ** 30 + i,
          changeSeq: 1,
          lastChangeAt: 0,
        })),
    });
    const devices = driverPassDevices(
      [0, 1, 2].map((n) => ({
        hardwareIds: [hardwareIdOf(n)],
        compatibleIds: [hardwareIdOf(n + 10)],
        installedDriver: undefined,
      })),
    );
    const ids = devices.flatMap((d) => d.ids);
    const source = storageDriverSource(handle);
    let offered = 0;
    const pass = async () => {
      offered = (await answerDriverPass(index, scope, source, { devices })).newUpdates.length;
    };
    const lower = ids.map((h) => h.toLowerCase());
    const anchor = () =>
      handle.db
        .selectFrom('revision_drivers')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('hardware_id', 'in', lower)
        .executeTakeFirst();
    const passes = await rate(pass, ms);
    const counts = await rate(anchor, ms);
    if (offered !== 3) throw new Error(`expected 3 drivers offered, got ${offered}`);
    return [
      {
        id: 'D1',
        name: `driver passes/s, ${count.toLocaleString('en')} drivers, 3 devices (seeded in ${(seedMs / 1000).toFixed(1)} s)`,
        value: passes,
        unit: 'passes/s',
        anchor: counts,
        anchorName: 'indexed count(*) of the same rows',
        ratio: passes / counts,
      },
    ];
  } finally {
    await handle.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const results = await run({ quick: process.argv.includes('--quick') });
  for (const r of results) console.log(formatResult(r));
}
