import { isUpdateState, updateStateNames } from '../../../domain/index.js';
import { AppError } from '../../../errors.js';
import { chunkRows, inTransaction, type Executor } from '../transaction.js';

export interface UpdateStatusInput {
  readonly computerId: string;
  readonly updateId: string;
  readonly revisionId?: number | null;
  /** 0..6, an `UpdateState` of the domain; checked here, as callers may pass any number. */
  readonly state: number;
  readonly hresult?: number | null;
  /** When the client observed it (event time); older observations never overwrite newer ones. */
  readonly statusAt: number;
}

export class UpdateStatusRepository {
  constructor(private readonly db: Executor) {}

  async upsert(statuses: readonly UpdateStatusInput[], now = Date.now()): Promise<void> {
    const rows = [
      ...new Map(
        statuses.map((s) => [`${s.computerId.toLowerCase()}|${s.updateId.toLowerCase()}`, s]),
      ).values(),
    ].map((s) => {
      if (!isUpdateState(s.state))
        throw new AppError(
          'PB_ERR_INVALID_PARAMETER',
          `update state must be 0..${updateStateNames.length - 1}, got ${s.state}`,
        );
      return {
        computer_id: s.computerId.toLowerCase(),
        update_id: s.updateId.toLowerCase(),
        revision_id: s.revisionId ?? null,
        state: s.state,
        hresult: s.hresult ?? null,
        status_at: s.statusAt,
        updated_at: now,
      };
    });
    await inTransaction(this.db, async (trx) => {
      for (const chunk of chunkRows(rows, 7)) {
        await trx
          .insertInto('update_status')
          .values(chunk)
          .onConflict((oc) =>
            oc
              .columns(['computer_id', 'update_id'])
              .doUpdateSet((eb) => ({
                revision_id: eb.ref('excluded.revision_id'),
                state: eb.ref('excluded.state'),
                hresult: eb.ref('excluded.hresult'),
                status_at: eb.ref('excluded.status_at'),
                updated_at: eb.ref('excluded.updated_at'),
              }))
              .where('update_status.status_at', '<=', (eb) => eb.ref('excluded.status_at')),
          )
          .execute();
      }
    });
  }

  async listForComputer(computerId: string) {
    const rows = await this.db
      .selectFrom('update_status')
      .selectAll()
      .where('computer_id', '=', computerId.toLowerCase())
      .orderBy('update_id')
      .execute();
    return rows.map((r) => ({
      computerId: r.computer_id,
      updateId: r.update_id,
      revisionId: r.revision_id,
      state: r.state,
      hresult: r.hresult,
      statusAt: r.status_at,
      updatedAt: r.updated_at,
    }));
  }

  /** Count of computers per state for one update (reports). */
  async countByState(updateId: string): Promise<Map<number, number>> {
    const rows = await this.db
      .selectFrom('update_status')
      .select(['state', (eb) => eb.fn.countAll<number>().as('n')])
      .where('update_id', '=', updateId.toLowerCase())
      .groupBy('state')
      .execute();
    return new Map(rows.map((r) => [r.state, Number(r.n)]));
  }
}
