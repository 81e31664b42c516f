import type { Kysely } from 'kysely';

/**
 * Indexes for bounding what anonymous clients can store (issue 10 item 3): the retention job deletes raw
 * events by `received_at` in bounded batches, the per-computer byte budget sums one computer's events
 * received in the budget period, and the new-computers-per-address bound counts computers registered from
 * one address in its period. Without them each of these would scan the whole table on every request.
 *
 * Frozen once released.
 */
export async function up0006ClientEventRetention(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createIndex('client_events_received')
    .on('client_events')
    .columns(['received_at'])
    .execute();
  await db.schema
    .createIndex('client_events_computer_received')
    .on('client_events')
    .columns(['computer_id', 'received_at'])
    .execute();
  await db.schema
    .createIndex('computers_ip_registered')
    .on('computers')
    .columns(['ip_address', 'registered_at'])
    .execute();
}
