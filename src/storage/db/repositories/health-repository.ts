import { sql } from 'kysely';
import type { Executor } from '../transaction.js';

/** The readiness probe's view of the database. */
export class HealthRepository {
  constructor(private readonly db: Executor) {}

  /** One round trip; throws when the database does not answer (the server then reports not ready). */
  async ping(): Promise<void> {
    await sql`select 1`.execute(this.db);
  }
}
