import type { AuditQuery } from '../storage/index.js';
import { requireGuid } from './admin-input.js';
import { decodeCursor, pageLimit, toPage, type Page, type PageRequest } from './admin-paging.js';
import type { AdminStore } from './admin-store.js';

export type AuditFilter = Omit<AuditQuery, 'beforeAuditId' | 'limit'>;

export interface AuditEntryView {
  readonly auditId: number;
  readonly at: number;
  readonly actor: string;
  readonly action: string;
  readonly targetType: string | null;
  readonly targetId: string | null;
  readonly detail: unknown;
}

/** The audit trail, newest first: who (actor), what (action, target), how (the actor's kind), when. */
export class AuditService {
  constructor(private readonly store: AdminStore) {}

  async list(filter: AuditFilter = {}, page: PageRequest = {}): Promise<Page<AuditEntryView>> {
    const limit = pageLimit(page.limit);
    const before = decodeCursor(page.cursor, ['number']);
    const f = { ...filter };
    if (f.targetId !== undefined && /^[0-9a-f-]{36}$/i.test(f.targetId))
      f.targetId = requireGuid(f.targetId, 'targetId');
    const rows = await this.store.repos.adminQueries.listAudit({
      ...f,
      ...(before ? { beforeAuditId: before[0] as number } : {}),
      limit: limit + 1,
    });
    return toPage(
      rows,
      limit,
      (r) => r,
      (r) => [r.auditId],
    );
  }
}
