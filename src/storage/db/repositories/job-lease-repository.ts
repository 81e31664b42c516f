import type { Selectable } from 'kysely';
import type { JobLeasesTable } from '../database.js';
import type { Executor } from '../transaction.js';

export interface JobLease {
  readonly name: string;
  readonly holder: string;
  /** Grows by one on every takeover; a worker checks it to notice it lost the lease. */
  readonly fencingToken: number;
  readonly acquiredAt: number;
  readonly expiresAt: number;
}

/**
 * Single-runner leases that work on both databases (a row per job, taken with one atomic upsert): a
 * lease is granted when free, expired, or already held by the same holder (renewal).
 */
export class JobLeaseRepository {
  constructor(private readonly db: Executor) {}

  /** Takes or renews the lease; undefined when someone else holds an unexpired lease. */
  async acquire(
    name: string,
    holder: string,
    ttlMs: number,
    now = Date.now(),
  ): Promise<JobLease | undefined> {
    const row = await this.db
      .insertInto('job_leases')
      .values({ name, holder, fencing_token: 1, acquired_at: now, expires_at: now + ttlMs })
      .onConflict((oc) =>
        oc
          .column('name')
          .doUpdateSet((eb) => ({
            holder,
            expires_at: now + ttlMs,
            acquired_at: eb
              .case()
              .when('job_leases.holder', '=', holder)
              .then(eb.ref('job_leases.acquired_at'))
              .else(now)
              .end(),
            fencing_token: eb
              .case()
              .when('job_leases.holder', '=', holder)
              .then(eb.ref('job_leases.fencing_token'))
              .else(eb('job_leases.fencing_token', '+', 1))
              .end(),
          }))
          .where((eb) =>
            eb.or([eb('job_leases.holder', '=', holder), eb('job_leases.expires_at', '<=', now)]),
          ),
      )
      .returningAll()
      .executeTakeFirst();
    return row && toLease(row);
  }

  /**
   * Moves the lease from `fromHolder` (a process known to be dead) to `toHolder` with a new fencing token;
   * conditional on the holder, so of several takers exactly one wins.
   */
  async takeOver(
    name: string,
    fromHolder: string,
    toHolder: string,
    ttlMs: number,
    now = Date.now(),
  ): Promise<JobLease | undefined> {
    const row = await this.db
      .updateTable('job_leases')
      .set((eb) => ({
        holder: toHolder,
        acquired_at: now,
        expires_at: now + ttlMs,
        fencing_token: eb('fencing_token', '+', 1),
      }))
      .where('name', '=', name)
      .where('holder', '=', fromHolder)
      .returningAll()
      .executeTakeFirst();
    return row && toLease(row);
  }

  /** Gives the lease up (only when still held by `holder`). */
  async release(name: string, holder: string): Promise<boolean> {
    const r = await this.db
      .deleteFrom('job_leases')
      .where('name', '=', name)
      .where('holder', '=', holder)
      .executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  async get(name: string): Promise<JobLease | undefined> {
    const row = await this.db
      .selectFrom('job_leases')
      .selectAll()
      .where('name', '=', name)
      .executeTakeFirst();
    return row && toLease(row);
  }
}

function toLease(row: Selectable<JobLeasesTable>): JobLease {
  return {
    name: row.name,
    holder: row.holder,
    fencingToken: row.fencing_token,
    acquiredAt: row.acquired_at,
    expiresAt: row.expires_at,
  };
}
