import type { Kysely } from 'kysely';
import { columnTypes, type DialectName } from '../dialect.js';

/**
 * Replica mode (`[upstream] mode = replica`, docs/upstream.md): what a replica keeps of its upstream's
 * GetDeployments answers besides the approvals themselves. `replica_deployments` maps the upstream's
 * DeploymentGuid to the (update, group) approval it set, so a later `DeadDeployments` entry (a GUID only) can
 * be undone; `accepted_eulas` holds the EULA acceptances (the upstream's full list at each sync), which an
 * upstream passes on in its own GetDeployments answers.
 */
export async function up0011ReplicaDeployments(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  const t = columnTypes(dialect);
  await db.schema
    .createTable('replica_deployments')
    .addColumn('deployment_guid', 'text', (c) => c.primaryKey())
    .addColumn('update_id', 'text', (c) => c.notNull())
    .addColumn('group_id', 'text', (c) => c.notNull())
    .addColumn('revision_number', 'integer', (c) => c.notNull())
    .addColumn('applied_at', t.int64, (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('replica_deployments_target')
    .on('replica_deployments')
    .columns(['update_id', 'group_id'])
    .execute();
  await db.schema
    .createTable('accepted_eulas')
    .addColumn('eula_id', 'text', (c) => c.primaryKey())
    .addColumn('accepted_via', 'text', (c) => c.notNull())
    .addColumn('accepted_at', t.int64, (c) => c.notNull())
    .execute();
}
