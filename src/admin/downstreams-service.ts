/**
 * `patchbay downstreams` and /api/v1/downstreams: the downstream servers that synchronize from us (the
 * registry the upstream role fills, docs/upstream.md). A server is named by its id or its name; a removed
 * server reappears at its next sync unless `[upstream_service] allowed_downstreams` leaves it out.
 */
import { parseGuid } from '../domain/index.js';
import { AppError } from '../errors.js';
import { actorText, unknownNameError, type AdminActor, type AdminStore } from '../fleet/index.js';
import type { DownstreamServer } from '../storage/index.js';

/** A registered downstream and the servers its roll-up reported below it (any depth). */
export interface DownstreamView extends DownstreamServer {
  readonly servers: readonly RolledUpServer[];
}

export interface RolledUpServer {
  readonly serverId: string;
  readonly name: string | null;
  readonly parentServerId: string;
  readonly version: string | null;
  readonly isReplica: boolean;
  readonly lastSyncAt: number | null;
  readonly lastRollupAt: number | null;
  /** The 18 ServerSummary counters of its last roll-up (MS-WSUSSS), null when it sent none. */
  readonly summary: Readonly<Record<string, number>> | null;
}

export class DownstreamsService {
  constructor(private readonly store: AdminStore) {}

  async list(): Promise<{ items: DownstreamView[] }> {
    const servers = await this.store.repos.rollup.reportedServers();
    return { items: (await this.store.repos.downstreamServers.list()).map((d) => toView(d, servers)) };
  }

  async show(ref: string): Promise<DownstreamView> {
    return toView(await this.resolve(ref), await this.store.repos.rollup.reportedServers());
  }

  async remove(ref: string, actor: AdminActor, now = Date.now()): Promise<DownstreamView> {
    const d = await this.resolve(ref);
    const view = toView(d, await this.store.repos.rollup.reportedServers());
    await this.store.transaction(async (r) => {
      await r.downstreamServers.remove(d.serverId);
      await r.auditLog.append(
        {
          actor: actorText(actor),
          action: 'downstream.remove',
          targetType: 'downstream',
          targetId: d.serverId,
          detail: { name: d.name, address: d.address, lastSyncAt: d.lastSyncAt, computers: d.computers },
        },
        now,
      );
    });
    return view;
  }

  /** By id, else by name (case-insensitive); a name two servers share is a conflict naming both ids. */
  private async resolve(ref: string): Promise<DownstreamServer> {
    const id = parseGuid(ref.trim());
    const repo = this.store.repos.downstreamServers;
    if (id !== undefined) {
      const d = await repo.get(id.toLowerCase());
      if (d !== undefined) return d;
    }
    const all = await repo.list();
    const named = all.filter((d) => d.name.toLowerCase() === ref.trim().toLowerCase());
    if (named.length === 1) return named[0]!;
    if (named.length > 1)
      throw new AppError(
        'PB_ERR_CONFLICT',
        `${named.length} downstream servers are named ${JSON.stringify(ref)}: use the id (${named.map((d) => d.serverId).join(', ')})`,
        { detail: { parameter: 'downstream' } },
      );
    throw unknownNameError('downstream server', 'downstream', ref, [
      ...all.map((d) => d.name),
      ...all.map((d) => d.serverId),
    ]);
  }
}

function toView(
  d: DownstreamServer,
  reported: readonly (RolledUpServer & { readonly reportedBy: string })[],
): DownstreamView {
  return {
    ...d,
    servers: reported.filter((r) => r.reportedBy === d.serverId).map(({ reportedBy: _by, ...r }) => r),
  };
}
