import type { DeploymentsResult } from '../../protocol/server-sync/index.js';
import {
  createRepositories,
  type ApprovalAction,
  type DbHandle,
  type Executor,
  type ReplicaApplyCounts,
  type ReplicaStateInput,
} from '../../storage/index.js';
import { isFault } from './server-sync-client.js';
import type { SyncRunContext } from './sync-context.js';

/** The sync anchor scope of the last GetDeployments answer applied. */
export const deploymentsAnchorScope = 'deployments';

/** What a replica's sync fetched from its upstream, applied with the activation. */
export interface ReplicaFetch {
  readonly result: DeploymentsResult;
  /** The answer to a call without anchor: the whole state, approvals it does not name are removed. */
  readonly complete: boolean;
}

export interface ReplicaOutcome extends ReplicaApplyCounts {
  /** Deployments in the answer, and those we cannot express (Action 2, scan for presence). */
  readonly deployments: number;
  readonly unsupported: number;
}

const actions: Readonly<Record<number, ApprovalAction | undefined>> = {
  0: 'install',
  1: 'uninstall',
  3: 'not_approved',
};

/**
 * GetDeployments after the metadata (SPEC 3.2.4.3): from the stored deployment anchor, bounded by this
 * sync's revision anchor. An upstream that refuses our anchor (InvalidParameters: restored, or its change log
 * was reset) is asked once more without it, and that complete answer replaces the mirrored state.
 */
export async function fetchDeployments(ctx: SyncRunContext, syncAnchor: string): Promise<ReplicaFetch> {
  const stored = (await ctx.stores.anchors.get(deploymentsAnchorScope))?.anchor ?? undefined;
  try {
    return { result: await ctx.client.getDeployments(stored, syncAnchor), complete: stored === undefined };
  } catch (e) {
    if (stored === undefined || !isFault(e, 'InvalidParameters')) throw e;
    ctx.log.warn(
      { deploymentAnchor: stored },
      'upstream refused the deployment anchor; fetching and mirroring its complete deployment state',
    );
    return { result: await ctx.client.getDeployments(undefined, syncAnchor), complete: true };
  }
}

/** The storage input of an answer; Action 2 (scan for presence) has no Patchbay approval and is counted. */
export function replicaInput(f: ReplicaFetch): { input: ReplicaStateInput; unsupported: number } {
  let unsupported = 0;
  const deployments = [];
  for (const d of f.result.deployments) {
    const action = actions[d.action];
    if (action === undefined) {
      unsupported++;
      continue;
    }
    deployments.push({
      deploymentGuid: d.deploymentGuid,
      updateId: d.updateId,
      revisionNumber: d.revisionNumber,
      groupId: d.targetGroupId,
      action,
      // A deadline only goes with an install or uninstall, as a local approval.
      deadlineAt: action === 'not_approved' ? null : (d.deadlineAt ?? null),
      approvedBy: d.adminName ?? 'upstream',
    });
  }
  return {
    input: {
      groups: f.result.groups.map((g) => ({
        groupId: g.groupId,
        parentGroupId: g.parentGroupId,
        name: g.name === '' ? g.groupId : g.name,
      })),
      deployments,
      deadDeployments: f.result.deadDeployments,
      hiddenUpdates: f.result.hiddenUpdates,
      acceptedEulas: f.result.acceptedEulas,
      complete: f.complete,
    },
    unsupported,
  };
}

/**
 * Applies a fetched answer inside `trx` (the activation's transaction, or one of its own when the catalog did
 * not change) and stores its anchor there too: the mirrored state and the anchor move together or not at all.
 */
export function replicaApplier(
  db: DbHandle,
  f: ReplicaFetch,
  runId: number,
  now: number,
  done: (o: ReplicaOutcome) => void,
): (trx: Executor) => Promise<void> {
  return async (trx) => {
    const repos = createRepositories({ db: trx, dialect: db.dialect });
    const { input, unsupported } = replicaInput(f);
    const counts = await repos.replica.apply(input, now);
    await repos.anchors.setPending(deploymentsAnchorScope, f.result.anchor, runId, now);
    await repos.anchors.promote(deploymentsAnchorScope, now);
    done({ ...counts, deployments: f.result.deployments.length, unsupported });
  };
}
