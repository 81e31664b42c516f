/**
 * Ringed catalog changes (issue 14): the cost of serving two catalog generations at once. The SyncUpdates
 * setup of sync-updates.bench.ts (SYNTHETIC catalog, real-shaped requests over real HTTP; full 100,000
 * revisions, --quick 5,000) with rollout rings; two clients in different rings load the server, 4 keep-alive
 * connections each. Measured in the same run: pages/s and heap with one generation (no rollout: both
 * clients get the active one) as the anchor, then with a rollout in progress (the ring-0 client gets the new
 * generation, the ring-1 client the previous one), so both indexes and both scope sets are live.
 * Target: >= 0.9x the one-generation throughput.
 */
import { randomUUID } from 'node:crypto';
import type { CatalogRing } from '../src/domain/index.js';
import { createRepositories } from '../src/storage/index.js';
import { syntheticRevision } from '../test/helpers/seed-catalog.js';
import type { BenchResult } from './lib/result.js';
import { closedLoop, collectSetupGarbage, envelope, post, prepareSyncBench } from './sync-updates.bench.js';

const authNs = 'http://www.microsoft.com/SoftwareDistribution/Server/SimpleAuthWebService';

/** Setup calls retried while the server sheds load (503 ServerBusy right after seeding's event-loop lag). */
async function postOk(pool: Parameters<typeof post>[0], body: string, op: string) {
  for (let i = 0; ; i++) {
    const r = await post(pool, body, op);
    if (r.status !== 503 || i >= 50) return r;
    await new Promise((res) => setTimeout(res, 200));
  }
}

export async function run(opts: { quick: boolean }): Promise<BenchResult[]> {
  const revisions = opts.quick ? 5_000 : 100_000;
  const seconds = opts.quick ? 2 : 8;
  const rings: CatalogRing[] = [];
  const setup = await prepareSyncBench({
    revisions,
    approvals: opts.quick ? 1_000 : 5_000,
    rings: { catalogRings: () => Promise.resolve(rings) },
  });
  try {
    const repos = createRepositories(setup.handle);
    const groups = await repos.groups.list();
    const bench = groups.find((g) => g.name === 'Bench')!;
    const other = await repos.groups.create({ name: 'Other' });
    const ring = (name: string, groupIds: string[]): CatalogRing => ({
      name,
      groupIds,
      soakMs: 86_400_000,
      minReported: 1,
      maxFaultRate: 0.1,
    });
    rings.push(ring('pilot', [bench.groupId]), ring('broad', [other.groupId]), ring('rest', []));

    /** A client of group `name`, scanning: the body of its steady (pinned, truncated) SyncUpdates page. */
    const clientBody = async (name: string): Promise<string> => {
      const cfg = await postOk(
        setup.pool,
        envelope('GetConfig', '<protocolVersion>2.90</protocolVersion>'),
        'GetConfig',
      );
      if (!cfg.body.includes('<LastChange>'))
        throw new Error(`GetConfig: ${cfg.status} ${cfg.body.slice(0, 300)}`);
      const lastChange = /<LastChange>([^<]+)/.exec(cfg.body)![1]!;
      const auth = await setup.pool.request({
        path: '/SimpleAuthWebService/SimpleAuth.asmx',
        method: 'POST',
        body: `<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><GetAuthorizationCookie xmlns="${authNs}"><clientId>${randomUUID()}</clientId><targetGroupName>${name}</targetGroupName><dnsName>bench</dnsName></GetAuthorizationCookie></s:Body></s:Envelope>`,
        headers: { 'content-type': 'text/xml; charset=utf-8' },
      });
      const authText = await auth.body.text();
      if (auth.statusCode !== 200) throw new Error(`GetAuthorizationCookie: ${auth.statusCode}`);
      const authData = /<CookieData>([^<]+)/.exec(authText)![1]!;
      const gc = await post(
        setup.pool,
        envelope(
          'GetCookie',
          `<authCookies><AuthorizationCookie><PlugInId>SimpleTargeting</PlugInId><CookieData>${authData}</CookieData></AuthorizationCookie></authCookies><lastChange>${lastChange}</lastChange><protocolVersion>2.90</protocolVersion>`,
        ),
        'GetCookie',
      );
      const cookie = (b: string) =>
        b.replace(
          /<cookie>[\s\S]*?<\/cookie>/,
          `<cookie><Expiration>${/<Expiration>([^<]+)/.exec(gc.body)![1]!}</Expiration><EncryptedData>${/<EncryptedData>([^<]+)/.exec(gc.body)![1]!}</EncryptedData></cookie>`,
        );
      const fresh = await postOk(setup.pool, cookie(setup.syncBody), 'SyncUpdates');
      if (fresh.status !== 200) throw new Error(`SyncUpdates failed: ${fresh.body.slice(0, 300)}`);
      const nc = /<NewCookie><Expiration>([^<]+)<\/Expiration><EncryptedData>([^<]+)/.exec(fresh.body)!;
      return setup.syncBody.replace(
        /<cookie>[\s\S]*?<\/cookie>/,
        `<cookie><Expiration>${nc[1]!}</Expiration><EncryptedData>${nc[2]!}</EncryptedData></cookie>`,
      );
    };
    const load = async (a: string, b: string) => {
      const [x, y] = await Promise.all([
        closedLoop(setup.pool, a, 4, seconds * 1000),
        closedLoop(setup.pool, b, 4, seconds * 1000),
      ]);
      return { perSecond: x.perSecond + y.perSecond, errors: x.errors + y.errors };
    };
    // The catalog index is mostly typed arrays, which live outside the JS heap: count `external` too.
    const heapMb = (): number => {
      collectSetupGarbage();
      const m = process.memoryUsage();
      return (m.heapUsed + m.external) / 1024 ** 2;
    };

    // One generation: both clients are served the active one.
    const a1 = await clientBody('Bench');
    const a2 = await clientBody('Other');
    await load(a1, a2); // warm-up
    const one = await load(a1, a2);
    const heapOne = heapMb();

    // A rollout: the new generation (one revision more) for ring 0, the previous one for ring 1.
    const active = (await repos.generations.getActive())!;
    const [extra] = await repos.revisions.upsertMany([
      syntheticRevision({
        updateId: randomUUID(),
        type: 'Software',
        prerequisites: [['10000000-0000-4000-8000-000000000064']],
      }),
    ]);
    const staged = await repos.generations.createStaged({ note: 'bench rollout' });
    await repos.generations.copyMembers(active.generationId, staged.generationId);
    await repos.generations.addMembers(staged.generationId, [
      { revisionId: extra!, isLeaf: false, isBundleMember: false },
    ]);
    await repos.catalogRollouts.start(staged.generationId, 'bench');
    await new Promise((r) => setTimeout(r, 1_100)); // the service's serving-state freshness (1 s)
    const b1 = await clientBody('Bench');
    const b2 = await clientBody('Other');
    await load(b1, b2); // warm-up: loads the second index and compiles its scopes
    const two = await load(b1, b2);
    const heapTwo = heapMb();
    const errors = one.errors + two.errors;

    const ratio = two.perSecond / one.perSecond;
    return [
      {
        id: 'R1',
        name: `SyncUpdates pages/s with two live catalog generations (${revisions} revisions, ring 0 and ring 1 clients)`,
        value: two.perSecond,
        unit: 'pages/s',
        anchor: one.perSecond,
        anchorName: 'one generation, same clients, same run',
        ratio,
        target: '>= 0.9x',
        // Shed calls (503) count as completions in both loops; a run with any is not a clean figure.
        pass: ratio >= 0.9 && errors === 0,
      },
      {
        id: 'R2',
        name: 'heap + external memory after GC with two live generations (ratio: one / two, lower is better)',
        value: heapTwo,
        unit: 'MiB',
        anchor: heapOne,
        anchorName: 'one generation, same run',
        ratio: heapOne / heapTwo,
      },
    ];
  } finally {
    await setup.close();
  }
}
