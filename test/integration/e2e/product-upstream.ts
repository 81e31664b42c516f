/**
 * The upstream of the end-to-end tests: the catalog-mode fake (test/helpers/fake-upstream/catalog-upstream.ts)
 * serving a small SYNTHETIC catalog (one product, the real Definition Updates and Security Updates
 * classification ids, a detectoid, updates with files), and the content upstream's `/Content/` tree on the
 * same origin, so that `content.mode = approved` downloads what the rules and the CLI approved in the same
 * run. One loopback port fronts both: ServerSync/DssAuth POSTs go to the catalog fake, GET/HEAD /Content/
 * to the real content routes over a second store.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { request } from 'undici';
import { startCatalogUpstream, type CatalogUpstream } from '../../helpers/fake-upstream/catalog-upstream.js';
import { ids, syntheticDocument } from '../../helpers/fake-upstream/real-catalog.js';
import { payload } from '../../helpers/seed-catalog.js';
import {
  startFakeContentUpstream,
  type FakeContentUpstream,
  type FakeFile,
} from '../content-sync/fake-content-upstream.js';

const id = (n: number): string => `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;

export const cat = {
  product: id(0xa1),
  definitionUpdates: ids.definitionUpdates,
  securityUpdates: '0fa1201d-4330-4fa8-8ae9-b877473b6441',
  detectoid: id(0xa2),
  /** Definition update: approved by the automatic rule on sync. */
  defs: id(0xb1),
  /** Security update: approved with `patchbay approve` for Ring 1. */
  sec: id(0xb2),
  /** Security update nobody approves. */
  secOther: id(0xb3),
  /** Definition update whose second revision arrives Expired. */
  expiring: id(0xb4),
} as const;

export interface ProductUpstream {
  /** The `[upstream] url` (ServerSync on the shared origin). */
  readonly serverSyncUrl: string;
  readonly catalog: CatalogUpstream;
  readonly files: { readonly defs: FakeFile; readonly sec: FakeFile; readonly secOther: FakeFile };
  /** Content GETs the front answered (path), to tell which files a run downloaded. */
  readonly contentRequests: string[];
  /** The `/Content/` side (its store and faults), to make a download fail. */
  readonly content: FakeContentUpstream;
  /** Publishes revision 101 of `cat.expiring` as Expired (listed by the next delta sync). */
  expireOne(): void;
}

function software(
  updateId: string,
  revision: number,
  classification: string,
  title: string,
  file?: FakeFile,
): string {
  // Administrators approve only what the document declares explicitly deployable (bundle members are not).
  return syntheticDocument(updateId, revision, {
    title: `SYNTHETIC (test) ${title}`,
    prerequisites: [[cat.detectoid]],
    categoryClauses: [[cat.product], [classification]],
    ...(file ? { files: [{ name: file.name, sha1: file.sha1, size: file.size }] } : {}),
  }).replace('UpdateType="Software"', 'UpdateType="Software" ExplicitlyDeployable="true"');
}

export async function startProductUpstream(t: TestContext): Promise<ProductUpstream> {
  const content = await startFakeContentUpstream(t);
  const files = {
    defs: await content.add(payload(300_001), 'am_delta.exe'),
    sec: await content.add(payload(1_200_003), 'windows-kb5099001.msu'),
    secOther: await content.add(payload(50_000), 'windows-kb5099002.msu'),
  };
  const entry = (updateId: string, revision: number, text: string) => ({
    identity: { updateId: updateId, revisionNumber: revision },
    text,
    listed: true,
  });
  const catalog = await startCatalogUpstream({
    entries: [
      entry(
        cat.product,
        100,
        syntheticDocument(cat.product, 100, {
          type: 'Category',
          categoryType: 'Product',
          title: 'SYNTHETIC (test) Patchbay Test Product',
        }),
      ),
      entry(
        cat.definitionUpdates,
        100,
        syntheticDocument(cat.definitionUpdates, 100, {
          type: 'Category',
          categoryType: 'UpdateClassification',
          title: 'Definition Updates',
        }),
      ),
      entry(
        cat.securityUpdates,
        100,
        syntheticDocument(cat.securityUpdates, 100, {
          type: 'Category',
          categoryType: 'UpdateClassification',
          title: 'Security Updates',
        }),
      ),
      entry(cat.detectoid, 100, syntheticDocument(cat.detectoid, 100, { type: 'Detectoid' })),
      entry(cat.defs, 200, software(cat.defs, 200, cat.definitionUpdates, 'Definition A', files.defs)),
      entry(cat.sec, 200, software(cat.sec, 200, cat.securityUpdates, 'Security B', files.sec)),
      entry(
        cat.secOther,
        200,
        software(cat.secOther, 200, cat.securityUpdates, 'Security C', files.secOther),
      ),
    ],
  });
  t.after(() => catalog.close());

  // One origin for both: the downloader derives `/Content/` from the ServerSync URL's origin.
  const contentRequests: string[] = [];
  const sockets = new Set<Socket>();
  const front = createServer((req: IncomingMessage, res: ServerResponse) => {
    const target = /^\/content\//i.test(req.url ?? '') ? content.origin : catalog.url;
    if (target === content.origin) contentRequests.push(req.url ?? '');
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers))
        if (typeof v === 'string' && k !== 'host' && k !== 'connection') headers[k] = v;
      const method = req.method === 'HEAD' ? 'HEAD' : req.method === 'POST' ? 'POST' : 'GET';
      request(`${target}${req.url ?? '/'}`, {
        method,
        headers,
        ...(method === 'POST' ? { body: Buffer.concat(chunks) } : {}),
      }).then(
        async (up) => {
          const out: Record<string, string> = {};
          for (const [k, v] of Object.entries(up.headers))
            if (typeof v === 'string' && k !== 'connection' && k !== 'keep-alive') out[k] = v;
          const body = Buffer.from(await up.body.arrayBuffer());
          res.writeHead(up.statusCode, out);
          res.end(method === 'HEAD' ? undefined : body);
        },
        () => res.writeHead(502).end(),
      );
    });
  });
  front.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve));
  t.after(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => front.close(() => resolve()));
  });
  const { port } = front.address() as AddressInfo;
  const serverSyncUrl = `http://127.0.0.1:${port}/ServerSyncWebService/ServerSyncWebService.asmx`;

  return {
    serverSyncUrl,
    catalog,
    files,
    contentRequests,
    content,
    expireOne: () =>
      catalog.put(
        entry(
          cat.expiring,
          101,
          software(cat.expiring, 101, cat.definitionUpdates, 'Definition D (expired)').replace(
            'PublicationState="Published"',
            'PublicationState="Expired"',
          ),
        ),
      ),
  };
}

/** Adds revision 100 of `cat.expiring` (published) before the first sync of a test that expires it. */
export function publishExpiring(up: ProductUpstream): void {
  up.catalog.put({
    identity: { updateId: cat.expiring, revisionNumber: 100 },
    text: software(cat.expiring, 100, cat.definitionUpdates, 'Definition D'),
    listed: true,
  });
}

/** The SHA-1 hex (upper case) the content tree names a file by. */
export const hexOf = (bytes: Buffer): string => createHash('sha1').update(bytes).digest('hex').toUpperCase();

/** The configuration environment of an end-to-end test: this upstream, content mode `approved`, its selection. */
export function productEnv(up: ProductUpstream, dir: string): Record<string, string> {
  return {
    PATCHBAY_SERVER_DATA_DIR: dir,
    PATCHBAY_CONTENT_DIR: join(dir, 'content'),
    PATCHBAY_CONTENT_MODE: 'approved',
    PATCHBAY_UPSTREAM_URL: up.serverSyncUrl,
    PATCHBAY_SELECTION_PRODUCTS: cat.product,
    PATCHBAY_SELECTION_CLASSIFICATIONS: `${cat.definitionUpdates},${cat.securityUpdates}`,
  };
}
