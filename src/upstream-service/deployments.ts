import { createHash } from 'node:crypto';
import { AppError } from '../errors.js';
import {
  zeroGuid,
  type DeploymentActionCode,
  type DeploymentsResult,
  type ServerSyncDeployment,
} from '../protocol/server-sync/index.js';
import { decodeBlob, type ApprovalAction, type DeploymentPoint } from '../storage/index.js';
import { anchorTime, formatAnchor, parseAnchor } from './anchors.js';
import type { DeploymentFeedStore, UpstreamCatalogStore } from './upstream-ports.js';
import type { FeedRevision } from '../storage/index.js';

/**
 * A deployment's GUID, derived from (update, group): stable across calls and after the approval is gone, so
 * `DeadDeployments` can name what a replica received earlier. Name-based (SHA-1, RFC 4122 version 5 bits).
 */
export function deploymentGuid(updateId: string, groupId: string): string {
  const h = createHash('sha1')
    .update(`patchbay-deployment:${updateId.toLowerCase()}/${groupId.toLowerCase()}`)
    .digest();
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

/** MS-WSUSSS action integers (docs/protocol/upstream.md): install 0, uninstall 1, block 3. */
export const actionCodes: Readonly<Record<ApprovalAction, DeploymentActionCode>> = {
  install: 0,
  uninstall: 1,
  not_approved: 3,
};

const emptyPoint: DeploymentPoint = { seq: 0, at: 0 };
const eulaPattern = /\bEulaID="([0-9A-Fa-f-]{36})"/;
/** Revision ids whose EulaID is remembered (documents never change once stored). */
const maxEulaCacheEntries = 200_000;

function invalid(parameter: string, why: string): AppError {
  return new AppError('PB_ERR_INVALID_PARAMETER', `${parameter}: ${why}`, { detail: { parameter } });
}

/**
 * GetDeployments as the upstream answers it (docs/upstream.md "Replica mode"): the window (deploymentAnchor,
 * now] of the deployment change log, each approval naming the highest served revision of the active
 * generation. A deployment whose revision the downstream's syncAnchor does not cover yet is held back, and
 * the new anchor stops before it, so it goes out at the next call instead of being lost (no-gap rule, §1.6).
 */
export class DeploymentsAnswer {
  readonly #eulas = new Map<number, string | null>();

  constructor(
    private readonly catalog: UpstreamCatalogStore,
    private readonly feed: DeploymentFeedStore,
  ) {}

  async build(
    req: { deploymentAnchor: string | undefined; syncAnchor: string },
    nowMs: number,
  ): Promise<DeploymentsResult & { complete: boolean; heldBack: number }> {
    const sync = parseAnchor(req.syncAnchor, 'syncAnchor');
    if (sync === undefined) throw invalid('syncAnchor', 'missing');
    const current = await this.catalog.currentPosition(nowMs);
    let syncGeneration: number | undefined;
    if (sync.counter !== 0) {
      const row = await this.catalog.position(sync.counter);
      if (row === undefined || formatAnchor(row.seq, row.loggedAt) !== `${sync.counter},${sync.time}`)
        throw invalid('syncAnchor', 'not an anchor this server issued');
      // A pruned generation: the downstream listed it long ago; the active one is the best cover we know.
      syncGeneration = (await this.catalog.generationKept(row.generationId))
        ? row.generationId
        : current?.generationId;
    }
    const sent = parseAnchor(req.deploymentAnchor, 'deploymentAnchor');
    let after = 0;
    if (sent !== undefined && !(sent.counter === 0 && sent.time === anchorTime(0))) {
      const p = await this.feed.point(sent.counter);
      if (p === undefined || formatAnchor(p.seq, p.at) !== `${sent.counter},${sent.time}`)
        throw invalid('deploymentAnchor', 'not an anchor this server issued');
      after = p.seq;
    }
    // The upper bound is read before the rows: a change committed meanwhile waits for the next call.
    const top = (await this.feed.latest()) ?? emptyPoint;
    const groups = await this.feed.groups();
    const changed = top.seq > after ? await this.feed.approvalsChanged(after, top.seq) : [];
    const active =
      current === undefined
        ? new Map<string, FeedRevision>()
        : await this.feed.highestServed(
            current.generationId,
            changed.map((c) => c.updateId),
          );
    const covered =
      syncGeneration === undefined || syncGeneration === current?.generationId
        ? active
        : await this.feed.highestServed(
            syncGeneration,
            changed.map((c) => c.updateId),
          );
    const deployments: ServerSyncDeployment[] = [];
    let heldFrom = Infinity;
    let heldBack = 0;
    for (const c of changed) {
      const rev = active.get(c.updateId);
      if (rev === undefined) continue; // not served (not in the catalog, or quarantined): never downstream
      if (syncGeneration === undefined || covered.get(c.updateId)?.revisionNumber !== rev.revisionNumber) {
        heldFrom = Math.min(heldFrom, c.changeSeq);
        heldBack++;
        continue;
      }
      deployments.push({
        updateId: c.updateId,
        revisionNumber: rev.revisionNumber,
        action: actionCodes[c.action],
        adminName: c.approvedBy.slice(0, 256),
        deadlineAt: c.deadlineAt ?? undefined,
        isAssigned: true,
        goLiveAt: c.approvedAt,
        deploymentGuid: deploymentGuid(c.updateId, c.groupId),
        targetGroupId: c.groupId,
        downloadPriority: 1,
      });
    }
    const end = heldFrom === Infinity ? top : ((await this.feed.pointBefore(heldFrom)) ?? emptyPoint);
    const dead =
      sent === undefined || top.seq <= after
        ? []
        : (await this.feed.approvalsCleared(after, top.seq)).map((k) =>
            deploymentGuid(k.updateId, k.groupId),
          );
    return {
      anchor: formatAnchor(end.seq, end.at),
      groups: groups.map((g) => ({
        groupId: g.groupId,
        parentGroupId: g.parentGroupId ?? zeroGuid,
        name: g.name,
        isBuiltin: g.isBuiltin,
      })),
      deployments,
      deadDeployments: dead,
      hiddenUpdates: await this.feed.declinedUpdateIds(),
      acceptedEulas: await this.acceptedEulas(current?.generationId, top.seq),
      complete: sent === undefined,
      heldBack,
    };
  }

  /**
   * The accepted EULAs: those recorded here (a replica's, from its own upstream) and those of every update
   * approved for install, since approving such an update is accepting its license (WSUS asks for the
   * acceptance at approval time).
   */
  private async acceptedEulas(generationId: number | undefined, upTo: number): Promise<string[]> {
    const out = new Set(await this.feed.acceptedEulaIds());
    if (generationId !== undefined && upTo > 0) {
      const installs = (await this.feed.approvalsChanged(0, upTo)).filter((a) => a.action === 'install');
      const revs = await this.feed.highestServed(
        generationId,
        installs.map((a) => a.updateId),
      );
      const unknown = [...revs.values()].map((r) => r.revisionId).filter((id) => !this.#eulas.has(id));
      if (unknown.length > 0) {
        if (this.#eulas.size + unknown.length > maxEulaCacheEntries) this.#eulas.clear();
        const docs = await this.feed.documents(unknown);
        for (const id of unknown) {
          const doc = docs.get(id);
          const m = doc === undefined ? null : eulaPattern.exec(decodeBlob(doc).toString('utf8'));
          this.#eulas.set(id, m ? m[1]!.toLowerCase() : null);
        }
      }
      for (const r of revs.values()) {
        const e = this.#eulas.get(r.revisionId);
        if (e) out.add(e);
      }
    }
    return [...out].sort();
  }
}
