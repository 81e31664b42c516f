/**
 * A catalog-mode upstream (test/helpers/fake-upstream/catalog-upstream.ts) whose `/Content/` tree on the same
 * origin is the hostile one: one product, the Definition Updates classification, a detectoid and one update
 * per chosen behaviour, each with its own file. Select `hostileProduct` + Definition Updates to sync it all.
 */
import type { TestContext } from 'node:test';
import { startCatalogUpstream, type CatalogUpstream } from '../../helpers/fake-upstream/catalog-upstream.js';
import { ids, syntheticDocument } from '../../helpers/fake-upstream/real-catalog.js';
import type { FakeFile } from './fake-content-upstream.js';
import { hostileFiles, hostileHandler, type Hostility } from './hostile-content-upstream.js';

const id = (n: number): string => `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
export const hostileProduct = id(0xc1);
const detectoid = id(0xc2);

const entry = (updateId: string, revision: number, text: string) => ({
  identity: { updateId: updateId, revisionNumber: revision },
  text,
  listed: true,
});

export async function startHostileCatalog(
  t: TestContext,
  kinds: readonly (Hostility | 'good')[],
): Promise<{
  up: CatalogUpstream;
  files: ReadonlyMap<Hostility | 'good', FakeFile>;
  hits: Map<Hostility | 'good', number>;
}> {
  const files = hostileFiles();
  const hits = new Map<Hostility | 'good', number>();
  const updates = kinds.map((kind, n) => {
    const f = files.get(kind)!;
    return entry(
      id(0xd0 + n),
      200,
      syntheticDocument(id(0xd0 + n), 200, {
        title: `SYNTHETIC (test) ${kind}`,
        prerequisites: [[detectoid]],
        categoryClauses: [[hostileProduct], [ids.definitionUpdates]],
        files: [{ name: f.name, sha1: f.sha1, size: f.size }],
      }),
    );
  });
  const up = await startCatalogUpstream({
    entries: [
      entry(
        hostileProduct,
        100,
        syntheticDocument(hostileProduct, 100, {
          type: 'Category',
          categoryType: 'Product',
          title: 'SYNTHETIC (test) Product',
        }),
      ),
      entry(
        ids.definitionUpdates,
        100,
        syntheticDocument(ids.definitionUpdates, 100, {
          type: 'Category',
          categoryType: 'UpdateClassification',
          title: 'Definition Updates',
        }),
      ),
      entry(detectoid, 100, syntheticDocument(detectoid, 100, { type: 'Detectoid' })),
      ...updates,
    ],
    other: hostileHandler(files, hits),
  });
  t.after(() => up.close());
  return { up, files, hits };
}
