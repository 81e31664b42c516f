import type { ServerSyncConfigData } from '../../protocol/server-sync/index.js';
import type { SyncRunContext } from './sync-context.js';

const upstreamConfigKey = 'sync.upstreamConfig';

/** The upstream's limits and languages as the last GetConfigData gave them (settings `sync.upstreamConfig`). */
export interface StoredUpstreamConfig {
  readonly maxUpdatesPerRequest: number;
  readonly languages: ServerSyncConfigData['languages'];
  readonly protocolVersion: string;
}

/** GetConfigData: limits and languages from the upstream (never hard-coded), stored with the config anchor. */
export async function refreshUpstreamConfig(ctx: SyncRunContext): Promise<StoredUpstreamConfig> {
  const { anchors, settings } = ctx.stores;
  const anchor = (await anchors.get('config'))?.anchor ?? undefined;
  const stored = await settings.get<StoredUpstreamConfig>(upstreamConfigKey);
  // Without stored languages the anchor is useless: the upstream omits the list when the anchor is current.
  const cfg = await ctx.client.getConfigData(stored?.languages.length ? anchor : undefined);
  const value: StoredUpstreamConfig = {
    maxUpdatesPerRequest: cfg.maxNumberOfUpdatesPerRequest,
    languages: cfg.languages.length > 0 ? cfg.languages : (stored?.languages ?? []),
    protocolVersion: cfg.protocolVersion,
  };
  if (cfg.newConfigAnchor) await anchors.setPending('config', cfg.newConfigAnchor, ctx.runId);
  await settings.set(upstreamConfigKey, value, 'sync');
  if (cfg.newConfigAnchor) await anchors.promote('config');
  return value;
}

/** The GetRevisionIdList language filter: the selected languages the upstream knows (none: no filter). */
export function languageFilter(cfg: StoredUpstreamConfig, languages: readonly string[], delta: boolean) {
  const wanted = new Set(languages.map((l) => l.toLowerCase()));
  const ids = cfg.languages
    .filter((l) => l.languageId !== 0 && wanted.has(l.shortLanguage.toLowerCase()))
    .map((l) => l.languageId);
  return ids.length === 0 ? undefined : ids.map((id) => ({ id, delta }));
}
