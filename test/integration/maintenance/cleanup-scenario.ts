/**
 * A SYNTHETIC catalog that evolves over six simulated months, for the cleanup tests: four catalog generations
 * (a new revision, a superseding update, an expired revision, an update the upstream stops offering), a
 * revision a failed sync stored but never activated, approvals, an admin decline, files in the content store,
 * a live and a silent computer, old and fresh raw events. Built with the repositories and services the server
 * itself uses; what each cleanup step must remove is stated next to the data.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createAdminServices } from '../../../src/admin/index.js';
import type { RevisionInput } from '../../../src/storage/index.js';
import { createRepositories, type ContentStore, type DbHandle } from '../../../src/storage/index.js';
import {
  payload,
  seedGeneration,
  syntheticRevision,
  type SyntheticFile,
} from '../../helpers/seed-catalog.js';

export const dayMs = 86_400_000;
export const monthMs = 30 * dayMs;
export const actor = { via: 'cli' as const, name: 'test' };

const id = (n: number): string => `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
export const P = id(1);
export const D = id(2);
/** Approved, then superseded by U7 (approved for the same group): the safe rule declines it. */
export const U1 = id(0x11);
/** Approved; revision 200 in generation A only, 201 from B on. */
export const U2 = id(0x12);
/** Not approved; expired from B on: the cleanup declines it. */
export const U3 = id(0x13);
/** Approved and needed by the live computer. */
export const U4 = id(0x14);
/** Not approved; offered in A and B only (the upstream dropped it): obsolete once A and B are pruned. */
export const U5 = id(0x15);
/** Declined by the admin. */
export const U6 = id(0x16);
/** Supersedes U1; approved. */
export const U7 = id(0x17);
/** Stored by a sync that never activated a generation with it: obsolete at once. */
export const U9 = id(0x19);

export interface Scenario {
  readonly now: number;
  /** Generation ids A (oldest) to D (active). */
  readonly gens: { A: number; B: number; C: number; D: number };
  /** File name -> bytes (f1 of U1, f2 of U2/200, f2b of U2/201, ...). */
  readonly files: Map<string, SyntheticFile>;
  readonly ring1: string;
  readonly silentComputer: string;
}

const file = (files: Map<string, SyntheticFile>, name: string, size = 2048): SyntheticFile => {
  const f = { name: `${name}.cab`, bytes: payload(size) };
  files.set(name, f);
  return f;
};

/** The SHA-1 (hex) the revision's Files element carries. */
export const sha1Of = (f: SyntheticFile): string => createHash('sha1').update(f.bytes).digest('hex');

/** Seeds the scenario; `liveComputer` (already registered by a client) joins Ring 1. */
export async function seedScenario(
  handle: DbHandle,
  store: ContentStore,
  now = Date.now(),
): Promise<Scenario> {
  const repos = createRepositories(handle);
  const services = createAdminServices(handle);
  const files = new Map<string, SyntheticFile>();
  const T0 = now - 6 * monthMs;
  const sw = (
    updateId: string,
    f: SyntheticFile,
    o: { revisionNumber?: number; supersedes?: string[]; expired?: boolean } = {},
  ): RevisionInput =>
    syntheticRevision({
      updateId,
      type: 'Software',
      prerequisites: [[D]],
      categoryPrerequisites: [P],
      files: [f],
      ...o,
    });
  const base = [
    syntheticRevision({ updateId: P, type: 'Category', title: 'Product' }),
    syntheticRevision({ updateId: D, type: 'Detectoid' }),
  ];
  const f1 = file(files, 'f1');
  const f2 = file(files, 'f2');
  const f3 = file(files, 'f3');
  const f4 = file(files, 'f4');
  const f5 = file(files, 'f5');
  const f6 = file(files, 'f6');
  const u1 = sw(U1, f1);
  const u4 = sw(U4, f4);
  const u5 = sw(U5, f5);
  const u6 = sw(U6, f6);
  const A = await seedGeneration(handle, [...base, u1, sw(U2, f2), sw(U3, f3), u4, u5, u6], T0);

  // A sync stored U9 but failed before activating a generation with it.
  const f9 = file(files, 'f9');
  await repos.revisions.upsertMany([sw(U9, f9)], T0);

  const ring1 = (await services.groups.create({ name: 'Ring 1' }, actor, T0)).groupId;
  await services.approvals.approve(
    { selection: { updateIds: [U1, U2, U4] }, groups: ['Ring 1'], action: 'install' },
    actor,
    T0,
  );

  const T1 = T0 + monthMs;
  const f2b = file(files, 'f2b');
  const f3b = file(files, 'f3b');
  const f7 = file(files, 'f7');
  const u2b = sw(U2, f2b, { revisionNumber: 201 });
  const u3b = sw(U3, f3b, { revisionNumber: 201, expired: true });
  const u7 = sw(U7, f7, { supersedes: [U1] });
  const B = await seedGeneration(handle, [...base, u1, u2b, u3b, u4, u5, u6, u7], T1);
  await services.approvals.approve(
    { selection: { updateIds: [U7] }, groups: ['Ring 1'], action: 'install' },
    actor,
    T1,
  );

  const T2 = T0 + 2 * monthMs;
  const C = await seedGeneration(handle, [...base, u1, u2b, u3b, u4, u6, u7], T2);
  await services.approvals.decline({ selection: { updateIds: [U6] }, reason: 'test' }, actor, T2);
  const T3 = T0 + 3 * monthMs;
  const Dg = await seedGeneration(handle, [...base, u1, u2b, u3b, u4, u6, u7], T3);

  // Every file was downloaded when its generation arrived (the state change is what the N-day rule reads).
  for (const [name, f] of files) {
    await store.ingest([f.bytes], {
      sha1: createHash('sha1').update(f.bytes).digest(),
      sha256: createHash('sha256').update(f.bytes).digest(),
      size: f.bytes.length,
    });
    const at = ['f2b', 'f3b', 'f7'].includes(name) ? T1 : T0;
    await repos.contentState.adoptStored([createHash('sha1').update(f.bytes).digest()], at);
  }

  const silentComputer = randomUUID();
  await repos.computers.upsert(
    { computerId: silentComputer, dnsName: 'old-pc.example.test' },
    now - 200 * dayMs,
  );
  await repos.computers.touchLastSync(silentComputer, now - 120 * dayMs);
  return {
    now,
    gens: { A: A.generationId, B: B.generationId, C: C.generationId, D: Dg.generationId },
    files,
    ring1,
    silentComputer,
  };
}

/** The cleanup settings the scenario's expectations are written for. */
export const scenarioSettings = {
  contentMode: 'approved' as const,
  declineSupersededAfterDays: 30,
  unapprovedFileDays: 30,
  computerSilentDays: 90,
  eventRetentionDays: 30,
  keepGenerations: 1,
};
