/**
 * `patchbay downstreams` and /api/v1/downstreams: the downstream servers that synchronize from us (the
 * registry the upstream role fills, docs/upstream.md). A server is named by its id or its name; a removed
 * server reappears at its next sync unless `[upstream_service] allowed_downstreams` leaves it out.
 */
import { parseGuid } from '../domain/index.js';
import { AppError } from '../errors.js';
import { actorText, unknownNameError, type AdminActor, type AdminStore } from '../fleet/index.js';
import type { DownstreamServer } from '../storage/index.js';

export interface DownstreamView extends DownstreamServer {
  /** Reporting roll-up (issue 12 item 3) is not implemented: `computers` stays 0 and this null. */
  readonly lastRollupAt: null;
  readonly rollup: 'not implemented';
}

export class DownstreamsService {
  constructor(private readonly store: AdminStore) {}

  async list(): Promise<{ items: DownstreamView[] }> {
    return { items: (await this.store.repos.downstreamServers.list()).map(toView) };
  }

  async show(ref: string): Promise<DownstreamView> {
    return toView(await this.resolve(ref));
  }

  async remove(ref: string, actor: AdminActor, now = Date.now()): Promise<DownstreamView> {
    const d = await this.resolve(ref);
    await this.store.transaction(async (r) => {
      await r.downstreamServers.remove(d.serverId);
      await r.auditLog.append(
        {
          actor: actorText(actor),
          action: 'downstream.remove',
          targetType: 'downstream',
          targetId: d.serverId,
          detail: { name: d.name, address: d.address, lastSyncAt: d.lastSyncAt },
        },
        now,
      );
    });
    return toView(d);
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

function toView(d: DownstreamServer): DownstreamView {
  return { ...d, lastRollupAt: null, rollup: 'not implemented' };
}
