/**
 * Issue 10 item 1 from the CLI: `patchbay sync` against an upstream whose content runs past its declared size
 * (chunked, no Content-Length) finishes with exit 1 (synchronized with problems, as documented), prints the
 * failure, and `sync history` shows both runs ended, the content run with the file's typed error.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initCliDir, runCliProcess } from '../../helpers/cli.js';
import { ids } from '../../helpers/fake-upstream/real-catalog.js';
import { hostileProduct, startHostileCatalog } from '../content-sync/hostile-catalog.js';

void test('patchbay sync against an overlong content upstream exits 1 and the history is right', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'pb-sync-cli-hostile-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const { up, files } = await startHostileCatalog(t, ['good', 'overlong']);
  await initCliDir(
    dir,
    `[server]\ndata_dir = ${join(dir, 'data')}\n[content]\nmode = all\n` +
      `[upstream]\nurl = ${up.serverSyncUrl}\nretries = 0\nrequest_timeout_seconds = 2\n` +
      `[selection]\nproducts = ${hostileProduct}\nclassifications = ${ids.definitionUpdates}\n[log]\nformat = json\n`,
  );
  const cli = (...args: string[]) => runCliProcess(args, { cwd: dir, timeoutMs: 60_000 });

  const sync = await cli('sync');
  assert.equal(sync.code, 1, `${sync.stdout}\n${sync.stderr}`);
  assert.doesNotMatch(sync.stderr, /Unhandled|AppError: /);

  const history = await cli('sync', 'history', '--json');
  assert.equal(history.code, 0, history.stderr);
  const runs = JSON.parse(history.stdout) as {
    kind: string;
    outcome: string;
    finishedAt: number | null;
    error: { code: string; message: string; detail: { failures: { sha1: string; code: string }[] } } | null;
  }[];
  assert.equal(runs.length, 2);
  for (const r of runs) assert.notEqual(r.finishedAt, null, `${r.kind} run ended`);
  const content = runs.find((r) => r.kind === 'content');
  assert.equal(content?.outcome, 'partial');
  assert.equal(content?.error?.code, 'PB_ERR_CONTENT_SIZE_MISMATCH');
  assert.deepEqual(
    content?.error?.detail.failures.map((f) => [f.sha1, f.code]),
    [[files.get('overlong')!.hex, 'PB_ERR_CONTENT_SIZE_MISMATCH']],
  );
  const human = await cli('sync', 'history');
  assert.match(human.stdout, /partial.*PB_ERR_CONTENT_SIZE_MISMATCH: 1 file failed to download/);
});
