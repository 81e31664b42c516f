/**
 * The reading side on PostgreSQL: the same connector run through the `public_views` schema (timestamptz
 * watermarks, keyset pages), in process and through the CLI with `[source] driver = postgres`.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { pino } from 'pino';
import { runCli, type CliIo } from '../../../src/cli/index.js';
import {
  createViewReader,
  loadConnectorConfigOrThrow,
  runInstance,
  stateKey,
} from '../../../src/connectors/index.js';
import { ConnectorStateRepository } from '../../../src/storage/index.js';
import { postgresSkipReason, startPostgresCluster, type PostgresCluster } from '../../helpers/postgres.js';
import {
  groupId,
  jsonLines,
  postgresDb,
  reportAt,
  seed,
  startReceiver,
  t0,
  tempDir,
  writeIni,
} from './harness.js';

const skip = postgresSkipReason();

void describe('connector reading PostgreSQL', { skip }, () => {
  let cluster: Promise<PostgresCluster> | undefined;
  const getCluster = () => (cluster ??= startPostgresCluster());
  after(async () => {
    if (cluster) (await cluster).stop();
  });

  void test('full then incremental runs, Unicode names, pages smaller than the fleet', async (t) => {
    const dir = tempDir(t);
    const { handle, url } = await postgresDb(t, await getCluster());
    await seed(handle, {
      securityUpdates: 3,
      otherUpdates: 1,
      computers: 45,
      groups: ['Serveurs é', 'Workstations'],
      name: (i) => `ПК-${i}-東京`,
    });
    const receiver = await startReceiver(t, tempDir(t));
    const ini = writeIni(dir, { driver: 'postgres', url }, [
      { name: 'pg', url: receiver.url, groups: ['Serveurs é'], extra: { page_size: '10' } },
    ]);
    const config = await loadConnectorConfigOrThrow({ file: ini, env: {} });
    const reader = createViewReader(handle);
    const run = (now: number) =>
      runInstance({
        instance: config.instances[0]!,
        handle,
        reader,
        logger: pino({ level: 'silent' }),
        version: 'test',
        now: () => now,
        settleMs: 0,
      });
    const s1 = await run(t0 + 1_000_000);
    assert.equal(s1.outcome, 'succeeded');
    const g1 = s1.groups[0]!;
    assert.deepEqual(
      [g1.mode, g1.records.computers, g1.records.updates, g1.records.statuses],
      ['full', 22, 3, 66],
    );
    const doc = jsonLines(receiver.document('pg', s1.runId, 'Serveurs é')!);
    const names = doc.filter((r) => r.type === 'computer').map((r) => r.name as string);
    assert.equal(new Set(names).size, 22, 'every computer once across the keyset pages');
    assert.ok(names.every((n) => /^ПК-\d+-東京$/.test(n)));

    await reportAt(handle, [2, 4, 6, 7], t0 + 1_500_000); // 7 is in the other group
    const s2 = await run(t0 + 2_000_000);
    const g2 = s2.groups[0]!;
    assert.deepEqual([g2.mode, g2.records.computers], ['incremental', 3]);
    const state = await new ConnectorStateRepository(handle.db).get(stateKey('pg', groupId(1)));
    assert.equal(state?.runs, 2);
    assert.equal(state?.watermark, new Date(t0 + 2_000_000).toISOString());

    // The CLI reads the same database with [source] driver = postgres.
    let out = '';
    let err = '';
    const io: CliIo = { stdout: (s) => void (out += s), stderr: (s) => void (err += s), env: {}, cwd: dir };
    const code = await runCli(['-c', 'connector.ini', 'connector', 'run'], io);
    assert.equal(code, 0, err);
    assert.match(out, /instance pg: succeeded/);
  });
});
