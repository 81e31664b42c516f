/**
 * Child process of the kill -9 test: one sync run against the given database and upstream, then exit 0.
 * argv[2] is JSON: { target, upstreamUrl }.
 */
import { openDatabase } from '../../../src/storage/index.js';
import { runSync, UpstreamTransport } from '../../../src/sync/index.js';

const { target, upstreamUrl } = JSON.parse(process.argv[2]!) as {
  target: Parameters<typeof openDatabase>[0];
  upstreamUrl: string;
};
const db = openDatabase(target);
const transport = new UpstreamTransport({
  proxy: { mode: 'none' },
  retry: { maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 50 },
});
await runSync({ db, transport }, { upstreamUrl, nodeId: 'crash-test', maxUpdatesPerRequest: 10 });
await transport.close();
await db.close();
process.exit(0);
