import { sql, type Expression, type SqlBool } from 'kysely';
import type { Executor } from '../transaction.js';

/**
 * Which computers a stage of a rollout measures: members of any of `groupIds` (or every computer when
 * `everyComputer`, for the last ring, which computers in no ring follow) and of none of `excludeGroupIds`
 * (the groups of earlier rings: a computer is in its earliest ring). Group lists are expanded to descendants
 * by the caller (src/domain/rings expandRingGroups).
 */
export interface RingScope {
  readonly groupIds: readonly string[];
  readonly excludeGroupIds: readonly string[];
  readonly everyComputer: boolean;
}

export interface RingFigureQuery {
  readonly updateId: string;
  readonly scope: RingScope;
  /** Stage start (server time): outcomes, faults and uninstalls count from here. */
  readonly since: number;
  /** A computer that scanned in [since - stoppedWindowMs, since) and not since has stopped scanning. */
  readonly stoppedWindowMs: number;
}

export interface RingFigures {
  readonly computers: number;
  readonly installed: number;
  readonly failed: number;
  readonly faulted: number;
  readonly faultedOrStopped: number;
  readonly uninstalls: number;
}

export interface FailedComputer {
  readonly computerId: string;
  readonly dnsName: string | null;
  readonly hresult: number | null;
}

/** Detection failed (docs/protocol/client.md §1.11). */
const detectionFailed = 148;
/** Uninstall succeeded, and succeeded with restart. */
const uninstallSucceeded = [222, 224];
const installedStates = [4, 6];
const failedState = 5;

/** The figures a ring's health gate reads, counted in the database (one statement per figure set). */
export class RingFigureRepository {
  constructor(private readonly db: Executor) {}

  async figures(q: RingFigureQuery): Promise<RingFigures> {
    const u = q.updateId.toLowerCase();
    const faultedExpr = sql<number>`exists (select 1 from client_events e where e.computer_id = c.computer_id
      and e.event_id = ${detectionFailed} and e.received_at >= ${q.since})`;
    const stoppedExpr = sql<number>`(c.last_sync_at < ${q.since} and c.last_sync_at >= ${q.since - q.stoppedWindowMs})`;
    const row = await this.db
      .selectFrom('computers as c')
      .leftJoin('update_status as us', (j) =>
        j
          .onRef('us.computer_id', '=', 'c.computer_id')
          .on('us.update_id', '=', u)
          .on('us.updated_at', '>=', q.since),
      )
      .select([
        sql<string | number>`count(*)`.as('computers'),
        sql<
          string | number | null
        >`sum(case when us.state in (${sql.join(installedStates)}) then 1 else 0 end)`.as('installed'),
        sql<string | number | null>`sum(case when us.state = ${failedState} then 1 else 0 end)`.as('failed'),
        sql<string | number | null>`sum(case when ${faultedExpr} then 1 else 0 end)`.as('faulted'),
        sql<string | number | null>`sum(case when ${faultedExpr} or ${stoppedExpr} then 1 else 0 end)`.as(
          'faulted_or_stopped',
        ),
        sql<
          string | number | null
        >`sum((select count(*) from client_events e where e.computer_id = c.computer_id
          and e.update_id = ${u} and e.event_id in (${sql.join(uninstallSucceeded)}) and e.received_at >= ${q.since}))`.as(
          'uninstalls',
        ),
      ])
      .where((eb) => inScope(eb, q.scope))
      .executeTakeFirstOrThrow();
    return {
      computers: Number(row.computers),
      installed: Number(row.installed ?? 0),
      failed: Number(row.failed ?? 0),
      faulted: Number(row.faulted ?? 0),
      faultedOrStopped: Number(row.faulted_or_stopped ?? 0),
      uninstalls: Number(row.uninstalls ?? 0),
    };
  }

  /** The computers whose install failed since `since`, by id, and the count per error code. */
  async failures(
    q: Omit<RingFigureQuery, 'stoppedWindowMs'>,
    limit: number,
  ): Promise<{ computers: FailedComputer[]; codes: { hresult: number | null; computers: number }[] }> {
    const u = q.updateId.toLowerCase();
    const base = this.db
      .selectFrom('computers as c')
      .innerJoin('update_status as us', 'us.computer_id', 'c.computer_id')
      .where('us.update_id', '=', u)
      .where('us.state', '=', failedState)
      .where('us.updated_at', '>=', q.since)
      .where((eb) => inScope(eb, q.scope));
    const computers = await base
      .select(['c.computer_id', 'c.dns_name', 'us.hresult'])
      .orderBy('c.computer_id')
      .limit(limit)
      .execute();
    const codes = await base
      .select(['us.hresult', sql<string | number>`count(*)`.as('n')])
      .groupBy('us.hresult')
      .orderBy(sql`count(*)`, 'desc')
      .limit(limit)
      .execute();
    return {
      computers: computers.map((r) => ({
        computerId: r.computer_id,
        dnsName: r.dns_name,
        hresult: r.hresult,
      })),
      codes: codes.map((r) => ({ hresult: r.hresult, computers: Number(r.n) })),
    };
  }
}

function inScope(
  eb: { and: (e: Expression<SqlBool>[]) => Expression<SqlBool> },
  scope: RingScope,
): Expression<SqlBool> {
  const parts: Expression<SqlBool>[] = [];
  if (!scope.everyComputer)
    parts.push(
      scope.groupIds.length === 0
        ? sql<SqlBool>`1 = 0`
        : sql<SqlBool>`c.computer_id in (select computer_id from group_memberships where group_id in (${sql.join(
            [...scope.groupIds],
          )}))`,
    );
  if (scope.excludeGroupIds.length > 0)
    parts.push(
      sql<SqlBool>`c.computer_id not in (select computer_id from group_memberships where group_id in (${sql.join(
        [...scope.excludeGroupIds],
      )}))`,
    );
  return parts.length === 0 ? sql<SqlBool>`1 = 1` : eb.and(parts);
}
