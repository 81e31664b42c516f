import type { Executor } from '../transaction.js';

/**
 * Compliance of one computer from its per-update states (non-declined updates): `failed` when any install
 * failed, `needed` when any is not installed / downloaded / pending reboot, `compliant` when it reported and
 * needs nothing, `unknown` when it never reported a state.
 */
export const complianceStates = ['compliant', 'needed', 'failed', 'unknown'] as const;
export type ComplianceState = (typeof complianceStates)[number];

/** The figures `/metrics`, `patchbay status` and `patchbay health` read, in a few aggregate queries. */
export interface OpsSnapshot {
  readonly computers: number;
  /** Computers whose last SyncUpdates (or report) was at or after `activeSince`. */
  readonly activeComputers: number;
  readonly compliance: Readonly<Record<ComplianceState, number>>;
  /** Revisions in quarantine now. */
  readonly quarantined: number;
  /** Install failures (state 5) reported at or after `failuresSince`. */
  readonly recentInstallFailures: number;
}

/** Aggregates for operations; every method is one grouped query, cheap enough to run at a scrape. */
export class OpsStatsRepository {
  constructor(private readonly db: Executor) {}

  async snapshot(opts: { activeSince: number; failuresSince: number }): Promise<OpsSnapshot> {
    const computers = await this.db
      .selectFrom('computers')
      .select((eb) => [
        eb.fn.countAll<number>().as('n'),
        eb.fn
          .sum<number>(
            eb
              .case()
              .when(
                eb.or([
                  eb('last_sync_at', '>=', opts.activeSince),
                  eb('last_report_at', '>=', opts.activeSince),
                ]),
              )
              .then(1)
              .else(0)
              .end(),
          )
          .as('active'),
      ])
      .executeTakeFirstOrThrow();
    // Per computer, the worst state among non-declined updates: 2 failed, 1 needed, 0 compliant.
    const worst = await this.db
      .selectFrom((eb) =>
        eb
          .selectFrom('update_status as s')
          .leftJoin('declines as d', 'd.update_id', 's.update_id')
          .where('d.update_id', 'is', null)
          .select((e) => [
            's.computer_id',
            e.fn
              .max<number>(
                e
                  .case()
                  .when('s.state', '=', 5)
                  .then(2)
                  .when('s.state', 'in', [2, 3, 6])
                  .then(1)
                  .else(0)
                  .end(),
              )
              .as('worst'),
          ])
          .groupBy('s.computer_id')
          .as('w'),
      )
      .select((eb) => ['w.worst', eb.fn.countAll<number>().as('n')])
      .groupBy('w.worst')
      .execute();
    const compliance: Record<ComplianceState, number> = { compliant: 0, needed: 0, failed: 0, unknown: 0 };
    let reported = 0;
    for (const r of worst) {
      const n = Number(r.n);
      reported += n;
      const state = Number(r.worst) === 2 ? 'failed' : Number(r.worst) === 1 ? 'needed' : 'compliant';
      compliance[state] += n;
    }
    const total = Number(computers.n);
    // Status rows of computers that were removed do not count as computers.
    compliance.unknown = Math.max(0, total - reported);
    const [q, f] = await Promise.all([
      this.db
        .selectFrom('quarantine')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow(),
      this.db
        .selectFrom('update_status')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('state', '=', 5)
        .where('status_at', '>=', opts.failuresSince)
        .executeTakeFirstOrThrow(),
    ]);
    return {
      computers: total,
      activeComputers: Number(computers.active ?? 0),
      compliance,
      quarantined: Number(q.n),
      recentInstallFailures: Number(f.n),
    };
  }

  /** Finished runs per kind and outcome (the history kept in sync_runs). */
  async syncRunCounts(): Promise<{ kind: string; outcome: string; n: number }[]> {
    const rows = await this.db
      .selectFrom('sync_runs')
      .select((eb) => ['kind', 'outcome', eb.fn.countAll<number>().as('n')])
      .groupBy(['kind', 'outcome'])
      .execute();
    return rows.map((r) => ({ kind: r.kind, outcome: r.outcome, n: Number(r.n) }));
  }
}
