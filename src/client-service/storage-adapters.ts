/**
 * The client service's ports implemented over the database and the content store. This file is the
 * adapter side (it imports storage); everything else in src/client-service only sees the port interfaces.
 * Bulk reads are chunked (<= 1,000 ids per generation-load query: smaller chunks leave less garbage for V8 to
 * promote, peak RSS loading 500k revisions 323 MiB vs 430 MiB at 4,000, and load no slower) so a generation
 * loads in a few hundred queries, never one query per revision.
 */
import type { CatalogRevisionInput, CatalogPrerequisiteInput } from '../catalog/index.js';
import { noCatalogRings, type CatalogRingSource, type RevisionKind } from '../domain/index.js';
import {
  chunkRows,
  createRepositories,
  decodeBlob,
  type ContentStore,
  type DbHandle,
} from '../storage/index.js';
import type { CatalogSource, DeploymentSource } from './catalog-cache.js';
import type { DriverSource } from './driver-source.js';
import type { FileSource, RevisionFile } from './file-locator.js';
import type { FragmentKindName, FragmentSource } from './fragment-cache.js';
import type { LocalizedSource } from './localized.js';

const kinds: Record<string, RevisionKind> = {
  software: 'software',
  driver: 'driver',
  category: 'category',
  detectoid: 'detectoid',
};

function kindOf(updateType: string): RevisionKind {
  return kinds[updateType.toLowerCase()] ?? 'software';
}

const memberPage = 20_000;

export function storageCatalogSource(
  handle: DbHandle,
  rings: CatalogRingSource = noCatalogRings,
): CatalogSource {
  const repos = createRepositories(handle);
  return {
    servingState: async () => {
      const [active, rollout, ringList] = await Promise.all([
        repos.generations.getActive(),
        repos.catalogRollouts.current(),
        rings.catalogRings(),
      ]);
      return {
        activeId: active?.generationId,
        ...(rollout !== undefined
          ? { rollout: { generationId: rollout.generationId, ringIndex: rollout.ringIndex } }
          : {}),
        rings: ringList,
      };
    },
    loadGeneration: async (generationId, add) => {
      if ((await repos.generations.get(generationId)) === undefined) return false;
      const members: number[] = [];
      for (let after = 0; ;) {
        const page = await repos.generations.listMembers(generationId, {
          afterRevisionId: after,
          limit: memberPage,
        });
        for (const m of page) members.push(m.revisionId);
        if (page.length < memberPage) break;
        after = page[page.length - 1]!.revisionId;
      }
      for (const chunk of chunkRows(members, 1, 1000)) {
        const out: CatalogRevisionInput[] = [];
        const { revisions, prerequisites, bundles } = await repos.clientCatalog.catalogRows(chunk);
        const clauses = new Map<number, Map<number, { isCategory: boolean; anyOf: string[] }>>();
        for (const p of prerequisites) {
          let m = clauses.get(p.revisionId);
          if (m === undefined)
            clauses.set(p.revisionId, (m = new Map<number, { isCategory: boolean; anyOf: string[] }>()));
          let c = m.get(p.clauseIndex);
          if (c === undefined) m.set(p.clauseIndex, (c = { isCategory: p.isCategory, anyOf: [] }));
          c.anyOf.push(p.updateId);
        }
        const groups = new Map<number, Map<number, { updateId: string; revisionNumber: number }[]>>();
        for (const b of bundles) {
          let m = groups.get(b.revisionId);
          if (m === undefined)
            groups.set(b.revisionId, (m = new Map<number, { updateId: string; revisionNumber: number }[]>()));
          let g = m.get(b.groupIndex);
          if (g === undefined) m.set(b.groupIndex, (g = []));
          g.push({ updateId: b.updateId, revisionNumber: b.revisionNumber });
        }
        for (const r of revisions) {
          const cl = clauses.get(r.revisionId);
          const gr = groups.get(r.revisionId);
          out.push({
            revisionId: r.revisionId,
            updateId: r.updateId,
            revisionNumber: r.revisionNumber,
            kind: kindOf(r.updateType),
            prerequisites: cl
              ? [...cl.entries()].sort((a, b) => a[0] - b[0]).map(([, c]) => c as CatalogPrerequisiteInput)
              : [],
            bundledUpdates: gr
              ? [...gr.entries()].sort((a, b) => a[0] - b[0]).map(([, g]) => ({ anyOf: g }))
              : [],
            expired: (r.publicationState ?? '').toLowerCase() === 'expired',
            lastChangeAt: r.importedAt,
          });
        }
        add(out);
      }
      return true;
    },
  };
}

/** `express`: `[content] express`; with it off an update does not wait for the express files it skips. */
export function storageDeploymentSource(handle: DbHandle, express = false): DeploymentSource {
  const repos = createRepositories(handle);
  return {
    latestChangeSeq: () => repos.deploymentChanges.latestSeq(),
    groupTree: async () =>
      (await repos.groups.list()).map((g) => ({ groupId: g.groupId, parentGroupId: g.parentGroupId })),
    approvalsForGroups: async (groupIds) =>
      (await repos.approvals.listForGroups(groupIds)).map((a) => ({
        updateId: a.updateId,
        groupId: a.groupId,
        action: a.action,
        deadlineAt: a.deadlineAt,
      })),
    declinedUpdateIds: async () => (await repos.approvals.listDeclined()).map((d) => d.updateId),
    updatesWithoutContent: async (generationId, updateIds) =>
      updateIds.length === 0
        ? new Set()
        : new Set((await repos.files.contentGaps(generationId, updateIds, { express })).keys()),
    changes: async () => {
      const out: { changeSeq: number; changedAt: number; updateId: string; groupId: string | null }[] = [];
      for (let after = 0; ;) {
        const page = await repos.deploymentChanges.since(after, 10_000);
        for (const c of page)
          out.push({
            changeSeq: c.changeSeq,
            changedAt: c.changedAt,
            updateId: c.updateId,
            groupId: c.groupId,
          });
        if (page.length < 10_000) break;
        after = page[page.length - 1]!.changeSeq;
      }
      return out;
    },
  };
}

export function storageFragmentSource(handle: DbHandle): FragmentSource {
  const repos = createRepositories(handle);
  return {
    fragments: async (revisionIds, kind: FragmentKindName) => {
      const blobs = await repos.revisions.getFragments(revisionIds, kind);
      const out = new Map<number, string>();
      for (const [id, blob] of blobs) out.set(id, decodeBlob(blob).toString('utf8'));
      return out;
    },
  };
}

export function storageLocalizedSource(handle: DbHandle): LocalizedSource {
  const repos = createRepositories(handle);
  return {
    localized: async (revisionIds, languages) =>
      (await repos.revisions.getLocalized(revisionIds, languages)).map((r) => ({
        revisionId: r.revisionId,
        language: r.language,
        xml: decodeBlob(r.fragment).toString('utf8'),
      })),
  };
}

export function storageFileSource(handle: DbHandle, store: ContentStore): FileSource {
  const repos = createRepositories(handle);
  return {
    filesOfRevisions: async (revisionIds) => {
      const rows = await repos.clientCatalog.filesOfRevisions(revisionIds);
      // Request order of the revisions, then document order of their files.
      const rank = new Map(revisionIds.map((id, i) => [id, i]));
      rows.sort(
        (a, b) => (rank.get(a.revisionId) ?? 0) - (rank.get(b.revisionId) ?? 0) || a.position - b.position,
      );
      return rows.map((r): RevisionFile => ({ sha1: r.sha1, fileName: r.fileName, muUrl: r.muUrl }));
    },
    filesByDigest: async (sha1s) =>
      (await repos.clientCatalog.filesByDigest(sha1s)).map((r): RevisionFile => ({
        sha1: r.sha1,
        fileName: r.name,
        muUrl: r.muUrl,
      })),
    has: (sha1) => store.has(sha1),
  };
}

export function storageDriverSource(handle: DbHandle): DriverSource {
  const repos = createRepositories(handle);
  return {
    candidates: async (ids, perId) =>
      (await repos.drivers.forHardwareIds(ids, perId)).map((r) => ({
        revisionId: r.revisionId,
        hardwareId: r.hardwareId,
        matchedId: r.hardwareId,
        verDate: r.verDate,
        verVersion: r.verVersion,
        manufacturer: r.manufacturer,
        provider: r.provider,
      })),
    prerequisites: (revisionIds) => repos.drivers.prerequisites(revisionIds),
  };
}
