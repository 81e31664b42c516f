import { AppError } from '../errors.js';

/**
 * `[upstream] mode = replica`: the upstream owns the groups, approvals, declines and EULA acceptances, which
 * every sync copies from it (GetDeployments, docs/upstream.md "Replica mode"). A local change would be
 * overwritten at the next sync, so it is refused up front, naming the upstream to make it on, as WSUS refuses
 * approvals on a replica. Computer membership stays local (WSUS replicas assign computers to groups too).
 */
export class ReplicaGuard {
  /** `upstream`: the upstream's origin when this server is a replica, undefined when autonomous. */
  constructor(readonly upstream: string | undefined = undefined) {}

  get isReplica(): boolean {
    return this.upstream !== undefined;
  }

  /** Throws PB_ERR_REPLICA_READ_ONLY for `what` (e.g. "approving updates") on a replica. */
  refuse(what: string): void {
    if (this.upstream === undefined) return;
    throw new AppError(
      'PB_ERR_REPLICA_READ_ONLY',
      `${what} is refused: this server is a replica of ${this.upstream}, which manages groups, approvals ` +
        `and declines; make the change there (or set [upstream] mode = autonomous)`,
      { detail: { upstream: this.upstream } },
    );
  }
}

/** The upstream's origin (scheme, host, port) as a replica names it: no path, no user information. */
export function replicaUpstreamName(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return url.slice(0, 200);
  }
}

export const autonomous = new ReplicaGuard();
