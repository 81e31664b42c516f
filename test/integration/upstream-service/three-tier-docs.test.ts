/**
 * The "Three-tier hierarchy" section of docs/upstream.md stays true: each tier's INI block loads as a
 * configuration, B names A's ServerSync endpoint and C names B's (as a replica), each tier's selection is its upstream's
 * (a downstream can only narrow it), and A admits B's network. The hierarchy itself runs in
 * three-tier-*.test.ts with the same keys.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { defaultUpstreamUrl, loadConfigOrThrow } from '../../../src/config/index.js';

const docPath = new URL('../../../docs/upstream.md', import.meta.url);

void test('docs/upstream.md: the three tiers configuration loads and chains A -> B -> C', async (t) => {
  const doc = await readFile(docPath, 'utf8');
  const start = doc.indexOf('## Three-tier hierarchy');
  assert.ok(start >= 0, 'the section exists');
  const section = doc.slice(start, doc.indexOf('\n## ', start + 1));
  const blocks = [...section.matchAll(/```ini\n([\s\S]*?)```/g)].map((m) => m[1]!);
  assert.equal(blocks.length, 3, 'one block per tier');
  const dir = await mkdtemp(join(tmpdir(), 'pb-tier-docs-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const [a, b, c] = await Promise.all(
    blocks.map(async (text, i) => {
      const file = join(dir, `tier-${i}.ini`);
      await writeFile(file, text);
      return loadConfigOrThrow({ env: {}, file });
    }),
  );
  assert.equal(a!.upstream.url, defaultUpstreamUrl, 'A synchronizes from Microsoft Update');
  assert.equal(
    b!.upstream.url,
    'http://a.example.internal:8530/ServerSyncWebService/ServerSyncWebService.asmx',
  );
  assert.equal(
    c!.upstream.url,
    'http://b.example.internal:8530/ServerSyncWebService/ServerSyncWebService.asmx',
  );
  for (const tier of [a!, b!, c!]) {
    assert.equal(tier.content.mode, 'approved');
    assert.equal(tier.upstream_service.enabled, true, 'every tier can serve the next');
    assert.deepEqual(tier.selection.products, a!.selection.products);
    assert.deepEqual(tier.selection.classifications, a!.selection.classifications);
  }
  assert.deepEqual(
    [a!, b!, c!].map((x) => x.upstream.mode),
    ['autonomous', 'autonomous', 'replica'],
    'C is a replica of B',
  );
  assert.deepEqual(a!.upstream_service.allowedAddresses, ['10.20.0.0/16']);
  assert.deepEqual(b!.upstream_service.allowedAddresses, ['10.30.0.0/16']);
  assert.deepEqual(
    [a!, b!, c!].map((x) => x.sync.firstSyncTime.hour),
    [2, 3, 4],
    'staggered top-down',
  );
});
