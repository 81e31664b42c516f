/**
 * Child process for the kill -9 test: downloads the queued files of a SQLite database into a store, one at
 * a time, until killed. Configured through PB_CHILD_* variables.
 */
import { FsContentStore, openDatabase, UpstreamTransport, downloadContent } from './imports.js';

const env = (k: string) => {
  const v = process.env[k];
  if (v === undefined) throw new Error(`${k} missing`);
  return v;
};
const db = openDatabase({ driver: 'sqlite', path: env('PB_CHILD_DB') });
const store = await FsContentStore.open(env('PB_CHILD_STORE'));
const transport = new UpstreamTransport({ proxy: { mode: 'none' } });
await downloadContent(
  { db, store, transport },
  { upstreamUrl: env('PB_CHILD_UPSTREAM'), mode: 'all', concurrency: 1, nodeId: env('PB_CHILD_NODE') },
);
await transport.close();
await db.close();
