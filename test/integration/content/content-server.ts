import type { TestContext } from 'node:test';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import { contentRoutes } from '../../../src/http/content-routes.js';
import {
  FsContentStore,
  type ContentKey,
  type ContentStore,
  type VerifyOutcome,
} from '../../../src/storage/content/index.js';

export const canaryText = 'PATCHBAY-CANARY-OUTSIDE-THE-STORE';

export interface ContentServer {
  readonly app: FastifyInstance;
  readonly port: number;
  readonly origin: string;
  readonly dir: string;
  readonly storeRoot: string;
  readonly store: FsContentStore;
  /** Every key the route handed to the store, as given. */
  readonly openedKeys: ContentKey[];
  /** SHA-1 (upper hex) of the canary file that sits outside the store root. */
  readonly canarySha1: string;
}

/**
 * A real fastify server on loopback port 0 serving a fresh FsContentStore, with a canary file (named by
 * its own SHA-1, next to the store root and at the tmp root) that must never be served.
 */
export async function startContentServer(
  t: TestContext,
  opts: {
    caseSensitive?: boolean;
    keepAliveTimeout?: number;
    onBadObject?: (outcome: VerifyOutcome) => void;
  } = {},
): Promise<ContentServer> {
  const dir = await mkdtemp(join(tmpdir(), 'pb-content-http-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const storeRoot = join(dir, 'store');
  const store = await FsContentStore.open(
    storeRoot,
    opts.onBadObject !== undefined ? { onBadObject: opts.onBadObject } : {},
  );
  const canary = Buffer.from(canaryText);
  const canarySha1 = createHash('sha1').update(canary).digest('hex').toUpperCase();
  await writeFile(join(dir, 'canary.txt'), canary);
  await writeFile(join(dir, canarySha1), canary);
  await writeFile(join(dir, `${canarySha1}.exe`), canary);
  const openedKeys: ContentKey[] = [];
  const spy: ContentStore = new Proxy(store, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (prop === 'open' && typeof value === 'function') {
        return (key: ContentKey) => {
          openedKeys.push(key);
          return store.open(key);
        };
      }
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  const app = Fastify({ logger: false, routerOptions: { caseSensitive: opts.caseSensitive ?? true } });
  app.server.keepAliveTimeout = opts.keepAliveTimeout ?? 35_000;
  await app.register(contentRoutes, { store: spy, log: app.log });
  await app.listen({ port: 0, host: '127.0.0.1' });
  t.after(() => app.close());
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return { app, port, origin: `http://127.0.0.1:${port}`, dir, storeRoot, store, openedKeys, canarySha1 };
}

export async function ingestRandom(
  store: FsContentStore,
  size: number,
): Promise<{ bytes: Buffer; hex: string; sha1: Buffer }> {
  const bytes = randomBytes(size);
  const sha1 = createHash('sha1').update(bytes).digest();
  await store.ingest([bytes], { sha1, sha256: createHash('sha256').update(bytes).digest(), size });
  return { bytes, sha1, hex: sha1.toString('hex').toUpperCase() };
}
