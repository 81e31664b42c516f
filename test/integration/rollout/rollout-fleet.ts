/**
 * A simulated fleet for the ringed-catalog tests: a real client server (harness.ts, SQLite or PostgreSQL)
 * whose computers sit in ring groups and scan over HTTP, generation A active, and a generation B = A plus
 * one new revision staged for a rollout. Answers are kept as raw SOAP bodies without the NewCookie (a fresh
 * cookie is encrypted anew every time), so "byte-identical" compares exactly what a client is offered.
 */
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import type { TestContext } from 'node:test';
import pino from 'pino';
import { createAdminServices } from '../../../src/admin/index.js';
import type { CatalogRing, CatalogRingSource } from '../../../src/domain/index.js';
import type { AdminActor } from '../../../src/fleet/index.js';
import { CatalogRolloutService, membersDigest } from '../../../src/sync/index.js';
import { catalogHoldNotification, type Notification, type Notifier } from '../../../src/notify/index.js';
import { createRepositories } from '../../../src/storage/index.js';
import { webhookNotifier } from '../../helpers/webhook-notifier.js';
import { seedGeneration, syntheticRevision } from '../../helpers/seed-catalog.js';
import { startHarness, type Dialect, type Harness } from '../client-service/harness.js';
import { WuspClient, reportingEvent } from '../client-service/wusp-client.js';

export const admin: AdminActor = { via: 'cli', name: 'tester' };
const id = (n: number): string => `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
const product = id(1);
const detectoid = id(2);
export const badUpdate = id(99);
export const hour = 3_600_000;

export interface FleetComputer {
  readonly client: WuspClient;
  readonly ring: number;
}

export interface Fleet {
  readonly h: Harness;
  readonly rings: CatalogRing[];
  readonly computers: FleetComputer[];
  readonly logs: Record<string, unknown>[];
  readonly service: CatalogRolloutService;
  readonly notifier: Notifier;
  /** What the webhook receiver got. */
  readonly notifications: Notification[];
  readonly generationA: number;
  /** Stages B (A + the new revision) and starts its rollout in ring 0 at real time now. */
  startRollout(): Promise<{ generationId: number; startedAt: number }>;
  inRing(ring: number): FleetComputer[];
}

export async function startFleet(
  t: TestContext,
  dialect: Dialect,
  o: { perRing: number; soakMs?: number; minReported?: number; maxFaultRate?: number },
): Promise<Fleet> {
  const rings: CatalogRing[] = [];
  const source: CatalogRingSource = { catalogRings: () => Promise.resolve(rings) };
  const software = [10, 11, 12].map((n) =>
    syntheticRevision({
      updateId: id(n),
      type: 'Software',
      prerequisites: [[detectoid]],
      categoryPrerequisites: [product],
    }),
  );
  let base: Map<string, number> | undefined;
  let generationA = 0;
  const h = await startHarness(t, dialect, {
    rings: source,
    seed: async ({ handle }) => {
      const g = await seedGeneration(handle, [
        syntheticRevision({ updateId: product, type: 'Category', title: 'Product' }),
        syntheticRevision({ updateId: detectoid, type: 'Detectoid' }),
        ...software,
      ]);
      base = g.ids;
      generationA = g.generationId;
    },
  });
  const logs: Record<string, unknown>[] = [];
  const logger = pino(
    { level: 'info' },
    new Writable({
      write: (chunk: Buffer, _e, cb) => {
        logs.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
        cb();
      },
    }),
  );
  const s = createAdminServices(h.handle);
  const names = ['Pilot', 'Broad', 'Everyone else'];
  for (const [i, name] of names.entries()) {
    const g = await s.groups.create({ name }, admin);
    rings.push({
      name,
      groupIds: [g.groupId],
      soakMs: o.soakMs ?? 4 * hour,
      minReported: o.minReported ?? 3,
      maxFaultRate: o.maxFaultRate ?? 0.2,
    });
    void i;
  }
  const computers: FleetComputer[] = [];
  for (let ring = 0; ring < names.length; ring++)
    for (let n = 0; n < o.perRing; n++) {
      const client = new WuspClient(recording(h), randomUUID(), `r${ring}-${n}.example.test`);
      await client.handshake();
      await s.groups.addComputer(names[ring]!, client.clientId, admin);
      await client.handshake();
      computers.push({ client, ring });
    }
  const repos = createRepositories(h.handle);
  const { notifier, received } = await webhookNotifier(t);
  const service = new CatalogRolloutService({
    store: repos.catalogRollouts,
    audit: repos.auditLog,
    rings: source,
    logger,
    // The hook `serve` installs (main.ts): a held generation is an alert through the webhook channel.
    onHeld: (held) => notifier.notify(catalogHoldNotification('wsus-test', held)),
  });
  return {
    h,
    rings,
    computers,
    logs,
    service,
    notifier,
    notifications: received,
    generationA,
    inRing: (ring) => computers.filter((c) => c.ring === ring),
    startRollout: async () => {
      const [x] = await repos.revisions.upsertMany([
        syntheticRevision({
          updateId: badUpdate,
          type: 'Software',
          prerequisites: [[detectoid]],
          categoryPrerequisites: [product],
        }),
      ]);
      const staged = await repos.generations.createStaged({ note: 'test' });
      const members = new Map<number, { isLeaf: boolean; isBundleMember: boolean }>();
      for (const rid of [...base!.values(), x!]) members.set(rid, { isLeaf: false, isBundleMember: false });
      await repos.generations.addMembers(
        staged.generationId,
        [...members].map(([revisionId, f]) => ({ revisionId, ...f })),
      );
      const startedAt = Date.now();
      await repos.catalogRollouts.start(staged.generationId, membersDigest(members), startedAt);
      return { generationId: staged.generationId, startedAt };
    },
  };
}

const updateIdPattern =
  /UpdateIdentity UpdateID=&quot;([0-9a-f-]+)&quot;|UpdateIdentity UpdateID="([0-9a-f-]+)"/g;

/** A full scan as WUA loops it; the raw answers (NewCookie removed) and the update ids offered. */
export async function scan(c: WuspClient, o: { stopAfterFirstPage?: boolean } = {}) {
  const installed: number[] = [];
  const other: number[] = [];
  const bodies: string[] = [];
  const updateIds = new Set<string>();
  for (let i = 0; i < 20; i++) {
    const a = await c.sync({ installed, other });
    bodies.push(lastBody.get(c.h)!.replace(/<NewCookie>[\s\S]*?<\/NewCookie>/, ''));
    for (const u of a.newUpdates) {
      for (const m of u.xml.matchAll(updateIdPattern)) updateIds.add((m[1] ?? m[2])!.toLowerCase());
      (u.isLeaf ? other : installed).push(u.id);
    }
    if (o.stopAfterFirstPage === true) break;
    if (!a.truncated && a.newUpdates.every((u) => u.isLeaf)) break;
  }
  return { bodies, updateIds };
}

/** A fresh scan (new cookie, empty cache): what a computer of that ring is offered from scratch. */
export async function freshScan(c: WuspClient) {
  await c.handshake();
  return scan(c);
}

/** The raw HTTP body of each client's last answer, byte for byte. */
const lastBody = new WeakMap<Harness, string>();

function recording(h: Harness): Harness {
  const own: Harness = {
    ...h,
    post: async (path, body, headers) => {
      const r = await h.post(path, body, headers);
      lastBody.set(own, r.body);
      return r;
    },
  };
  return own;
}

/** WUA's report of a failed detection (EventID 148) with its HRESULT. */
export async function reportDetectionFailed(c: WuspClient, hresult: number): Promise<void> {
  await c.report(reportingEvent({ clientId: c.clientId, instanceId: randomUUID(), eventId: 148, hresult }));
}
