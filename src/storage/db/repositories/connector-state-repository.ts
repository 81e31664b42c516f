import type { ConnectorStateTable } from '../database.js';
import type { Executor } from '../transaction.js';

/**
 * The state of one asset-management connector stream (one target instance x one computer group): how many
 * runs the target acknowledged, and the watermark ("computers that reported after this time were not sent
 * yet"). The two only move together, after the target acknowledged a run's stop event, in one statement, so
 * a failed run loses nothing: it is repeated from the same watermark.
 */
export interface ConnectorState {
  readonly connector: string;
  /** Opaque to storage (the connector stores an ISO 8601 UTC time); null before the first acknowledged run. */
  readonly watermark: string | null;
  /** Acknowledged runs. */
  readonly runs: number;
  /** Failed attempts since the state was created. */
  readonly failures: number;
  readonly itemsExported: number;
  readonly lastRunAt: number | null;
  readonly lastSuccessAt: number | null;
  readonly lastOutcome: string | null;
  readonly lastError: string | null;
  readonly updatedAt: number;
}

export interface CommitConnectorRun {
  /** The `runs` value the run started from; the commit is refused when another run moved it meanwhile. */
  expectedRuns: number;
  watermark: string;
  itemsExported: number;
  at: number;
  outcome?: string;
}

const maxErrorLength = 2000;

export class ConnectorStateRepository {
  constructor(private readonly db: Executor) {}

  async get(connector: string): Promise<ConnectorState | undefined> {
    const row = await this.db
      .selectFrom('connector_state')
      .selectAll()
      .where('connector', '=', connector)
      .executeTakeFirst();
    return row && toState(row);
  }

  /**
   * Advances the watermark and the run counter together (compare-and-set on `runs`). Returns false, changing
   * nothing, when the stored counter is not `expectedRuns` (another run committed first).
   */
  async commitRun(connector: string, run: CommitConnectorRun): Promise<boolean> {
    const outcome = run.outcome ?? 'succeeded';
    if (run.expectedRuns === 0) {
      // First run: insert, or update a row that only holds failed attempts (runs still 0).
      const r = await this.db
        .insertInto('connector_state')
        .values({
          connector,
          watermark: run.watermark,
          last_run_at: run.at,
          last_success_at: run.at,
          last_outcome: outcome,
          last_error: null,
          runs: 1,
          failures: 0,
          items_exported: run.itemsExported,
          updated_at: run.at,
        })
        .onConflict((oc) =>
          oc
            .column('connector')
            .doUpdateSet((eb) => ({
              watermark: run.watermark,
              last_run_at: run.at,
              last_success_at: run.at,
              last_outcome: outcome,
              last_error: null,
              runs: 1,
              items_exported: eb('connector_state.items_exported', '+', run.itemsExported),
              updated_at: run.at,
            }))
            .where('connector_state.runs', '=', 0),
        )
        .executeTakeFirst();
      return Number(r.numInsertedOrUpdatedRows ?? 0) > 0;
    }
    const r = await this.db
      .updateTable('connector_state')
      .set((eb) => ({
        watermark: run.watermark,
        last_run_at: run.at,
        last_success_at: run.at,
        last_outcome: outcome,
        last_error: null,
        runs: eb('runs', '+', 1),
        items_exported: eb('items_exported', '+', run.itemsExported),
        updated_at: run.at,
      }))
      .where('connector', '=', connector)
      .where('runs', '=', run.expectedRuns)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  /** Records a failed or refused attempt; the watermark and the run counter stay where they are. */
  async recordAttempt(
    connector: string,
    attempt: { at: number; outcome: string; error?: string | undefined; failed: boolean },
  ): Promise<void> {
    const error = attempt.error === undefined ? null : attempt.error.slice(0, maxErrorLength);
    const failures = attempt.failed ? 1 : 0;
    await this.db
      .insertInto('connector_state')
      .values({
        connector,
        watermark: null,
        last_run_at: attempt.at,
        last_success_at: null,
        last_outcome: attempt.outcome,
        last_error: error,
        runs: 0,
        failures,
        items_exported: 0,
        updated_at: attempt.at,
      })
      .onConflict((oc) =>
        oc.column('connector').doUpdateSet((eb) => ({
          last_run_at: attempt.at,
          last_outcome: attempt.outcome,
          last_error: error,
          failures: eb('connector_state.failures', '+', failures),
          updated_at: attempt.at,
        })),
      )
      .execute();
  }

  /** Every stream whose name starts with `prefix` (e.g. one instance's groups), by name. */
  async list(prefix = ''): Promise<ConnectorState[]> {
    const rows = await this.db.selectFrom('connector_state').selectAll().orderBy('connector').execute();
    return rows.filter((row) => row.connector.startsWith(prefix)).map(toState);
  }
}

function toState(row: ConnectorStateTable): ConnectorState {
  return {
    connector: row.connector,
    watermark: row.watermark,
    runs: row.runs,
    failures: row.failures,
    itemsExported: row.items_exported,
    lastRunAt: row.last_run_at,
    lastSuccessAt: row.last_success_at,
    lastOutcome: row.last_outcome,
    lastError: row.last_error,
    updatedAt: row.updated_at,
  };
}
