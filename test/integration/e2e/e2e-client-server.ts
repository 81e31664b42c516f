/**
 * The client server of the end-to-end tests as `patchbay serve` builds it (real services, real HTTP on
 * loopback) over the database and content folder the CLI wrote, and a WUA-like client bound to it.
 */
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { createClientWebService } from '../../../src/client-service/index.js';
import { loadConfigOrThrow, type Config } from '../../../src/config/index.js';
import { buildClientServer } from '../../../src/http/index.js';
import { FsContentStore, type DbHandle } from '../../../src/storage/index.js';
import { postSoap, silentLogger, type Harness } from '../client-service/harness.js';
import { WuspClient } from '../client-service/wusp-client.js';
import { runCliProcess } from '../../helpers/cli.js';

export interface E2eClientServer {
  readonly config: Config;
  readonly store: FsContentStore;
  readonly baseUrl: string;
  /** A new WUA-like client of this server. */
  readonly client: (clientId: string) => WuspClient;
}

export async function startE2eClientServer(
  t: TestContext,
  handle: DbHandle,
  env: Record<string, string>,
): Promise<E2eClientServer> {
  const config = await loadConfigOrThrow({ env });
  const store = await FsContentStore.open(config.content.dir);
  const { service } = await createClientWebService(handle, store, silentLogger, {
    contentMode: config.content.mode,
    express: config.content.express,
    catalogCache: { freshnessMs: 0 },
  });
  const app = await buildClientServer({
    config,
    logger: silentLogger,
    readiness: [],
    clientService: service,
    contentStore: store,
    maxEventLoopLagMs: 1000,
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  t.after(() => app.close());
  const addr = app.server.address();
  const baseUrl = `http://127.0.0.1:${typeof addr === 'object' && addr !== null ? addr.port : 0}`;
  const h = {
    baseUrl,
    post: (p: string, b: string, hd?: Record<string, string>) => postSoap(baseUrl + p, b, hd),
  };
  return { config, store, baseUrl, client: (clientId) => new WuspClient(h as unknown as Harness, clientId) };
}

/** Runs the real `patchbay` executable with this environment; a non-zero exit fails the test. */
export function cliFor(dir: string, env: Record<string, string>): (...args: string[]) => Promise<string> {
  return async (...args) => {
    const r = await runCliProcess(args, { cwd: dir, env, timeoutMs: 60_000 });
    assert.equal(r.code, 0, `patchbay ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
}
