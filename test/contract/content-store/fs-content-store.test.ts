import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FsContentStore } from '../../../src/storage/content/index.js';
import { runContentStoreContract } from './content-store-contract.js';

runContentStoreContract('FsContentStore', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'pb-content-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const store = await FsContentStore.open(join(dir, 'store'));
  return {
    store,
    corruptObject: async (sha1hex, offset, bytes) => {
      const h = await open(join(dir, 'store', sha1hex.slice(38), sha1hex), 'r+');
      try {
        await h.write(bytes, 0, bytes.length, offset);
      } finally {
        await h.close();
      }
    },
  };
});
