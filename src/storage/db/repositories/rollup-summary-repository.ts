import type { DialectName } from '../dialect.js';
import { publicViewsDb } from '../public-views.js';
import type { Executor } from '../transaction.js';

/**
 * The ServerSummary this server rolls up about itself (MS-WSUSSS DownstreamServerRollupServerSummary), from
 * the public views, so it counts what `patchbay reports` counts. Counters Patchbay has no source for
 * (stale approvals, expired updates, WSUS infrastructure updates, server-side errors, files still needed)
 * are 0; docs/upstream.md lists them.
 */
export class RollupSummaryRepository {
  constructor(
    private readonly db: Executor,
    private readonly dialect: DialectName,
  ) {}

  async summary(): Promise<Record<string, number>> {
    const v = publicViewsDb({ db: this.db, dialect: this.dialect });
    const count = async (q: { executeTakeFirstOrThrow(): Promise<{ n: string | number | bigint }> }) =>
      Number((await q.executeTakeFirstOrThrow()).n);
    const updates = await count(v.selectFrom('vupdate').select((eb) => eb.fn.countAll().as('n')));
    const declined = await count(
      v
        .selectFrom('vupdate')
        .where('isdeclined', '=', 1)
        .select((eb) => eb.fn.countAll().as('n')),
    );
    const approved = await count(
      v
        .selectFrom('vupdateapproval')
        .where('action', '=', 'Install')
        .select((eb) => eb.fn.count('updateid').distinct().as('n')),
    );
    const statesIn = (states: number[]) =>
      v.selectFrom('vupdateinstallationinfobasic').where('state', 'in', states);
    const needed = [2, 3, 6];
    const updatesNeeded = await count(
      statesIn(needed).select((eb) => eb.fn.count('updateid').distinct().as('n')),
    );
    const updatesFailed = await count(
      statesIn([5]).select((eb) => eb.fn.count('updateid').distinct().as('n')),
    );
    const computersNeeding = await count(
      statesIn(needed).select((eb) => eb.fn.count('computertargetid').distinct().as('n')),
    );
    const computersFailed = await count(
      statesIn([5]).select((eb) => eb.fn.count('computertargetid').distinct().as('n')),
    );
    const computersWithProblems = await count(
      statesIn([...needed, 5]).select((eb) => eb.fn.count('computertargetid').distinct().as('n')),
    );
    const computers = await count(v.selectFrom('vcomputertarget').select((eb) => eb.fn.countAll().as('n')));
    const groups = await count(
      this.db
        .selectFrom('computer_groups')
        .where('is_builtin', '=', 0)
        .select((eb) => eb.fn.countAll().as('n')),
    );
    const updatesWithProblems = await count(
      statesIn([...needed, 5]).select((eb) => eb.fn.count('updateid').distinct().as('n')),
    );
    return {
      UpdateCount: updates,
      DeclinedUpdateCount: declined,
      ApprovedUpdateCount: approved,
      NotApprovedUpdateCount: Math.max(0, updates - approved - declined),
      UpdatesWithStaleUpdateApprovalsCount: 0,
      ExpiredUpdateCount: 0,
      CriticalOrSecurityUpdatesNotApprovedForInstallCount: 0,
      WsusInfrastructureUpdatesNotApprovedForInstallCount: 0,
      UpdatesWithClientErrorsCount: updatesFailed,
      UpdatesWithServerErrorsCount: 0,
      UpdatesNeedingFilesCount: 0,
      UpdatesNeededByComputersCount: updatesNeeded,
      UpdatesUpToDateCount: Math.max(0, updates - updatesWithProblems),
      CustomComputerTargetGroupCount: groups,
      ComputerTargetCount: computers,
      ComputerTargetsNeedingUpdatesCount: computersNeeding,
      ComputerTargetsWithUpdateErrorsCount: computersFailed,
      ComputersUpToDateCount: Math.max(0, computers - computersWithProblems),
    };
  }
}
