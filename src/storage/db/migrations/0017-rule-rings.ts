import type { Kysely } from 'kysely';
import type { DialectName } from '../dialect.js';

/**
 * A ring plan on an automatic approval rule (docs/rings.md "Ringed approvals by rule"): when set, the rule starts
 * a ringed approval (a rollout in ring 0) for each update it matches instead of approving for its groups.
 * JSON array of stages `{ ringId, ringName, deadlineOffsetMs }` (rings by id, so renaming a ring keeps the
 * rule); null = a plain rule. A ring a rule's plan names cannot be deleted (rings-service.ts).
 */
export async function up0017RuleRings(db: Kysely<unknown>, _dialect: DialectName): Promise<void> {
  await db.schema.alterTable('approval_rules').addColumn('rings_plan', 'text').execute();
}
