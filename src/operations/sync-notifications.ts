import type { Config } from '../config/index.js';
import { newMatchingNotification, syncNotifications, type Notification } from '../notify/index.js';
import { createRepositories, type DbHandle } from '../storage/index.js';
import type { SyncPipelineResult } from '../sync/index.js';

/** Updates listed in one updates.new_matching notification (the count says how many more). */
const maxListed = 50;
/** Revisions examined per database round trip for the filter. */
const chunk = 500;

/** The notifications a finished sync pipeline calls for (partial, quarantine, content failures, new matches). */
export async function syncOutcomeNotifications(
  db: DbHandle,
  config: Config,
  server: string,
  r: SyncPipelineResult,
): Promise<Notification[]> {
  const c = r.sync.counters;
  const out = syncNotifications(server, {
    syncRunId: r.sync.syncRunId,
    outcome: r.sync.outcome,
    revisionsImported: c.revisionsImported ?? 0,
    revisionsQuarantined: c.revisionsQuarantined ?? 0,
    note: r.sync.note,
    contentFilesFailed: r.content?.filesFailed ?? 0,
    contentError: r.contentError?.message,
    contentFailures: (r.content?.failures ?? []).slice(0, 20).map((f) => ({ sha1: f.sha1, code: f.code })),
  });
  const filter = config.notifications.updateFilter.map((w) => w.toLowerCase()).filter((w) => w !== '');
  if (filter.length > 0 && r.sync.importedRevisionIds.length > 0) {
    const repos = createRepositories(db);
    const matched: { updateId: string; title: string; kb: string | null }[] = [];
    const seen = new Set<string>();
    let total = 0;
    const ids = r.sync.importedRevisionIds;
    for (let i = 0; i < ids.length; i += chunk) {
      const revs = await repos.revisions.getManyByIds(ids.slice(i, i + chunk));
      for (const rev of revs.values()) {
        const title = rev.title ?? '';
        const kb = rev.kbArticleId ?? null;
        const hay = `${title} kb${kb ?? ''}`.toLowerCase();
        if (seen.has(rev.updateId) || !filter.some((w) => hay.includes(w))) continue;
        seen.add(rev.updateId);
        total++;
        if (matched.length < maxListed) matched.push({ updateId: rev.updateId, title, kb });
      }
    }
    if (total > 0)
      out.push(newMatchingNotification(server, config.notifications.updateFilter, matched, total));
  }
  return out;
}
