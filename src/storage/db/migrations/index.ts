import type { Migration, MigrationProvider } from 'kysely';
import type { DialectName } from '../dialect.js';
import { up0001Catalog } from './0001-catalog.js';
import { up0002Operations } from './0002-operations.js';
import { up0003Fleet } from './0003-fleet.js';
import { up0004PublicViews } from './0004-public-views.js';
import { up0005RevisionBehaviour } from './0005-revision-behaviour.js';
import { up0006ClientEventRetention } from './0006-client-event-retention.js';
import { up0007CatalogPin } from './0007-catalog-pin.js';
import { up0008UpstreamCatalogLog } from './0008-upstream-catalog-log.js';
import { up0009SupersedenceView } from './0009-supersedence-view.js';
import { up0010DownstreamServers } from './0010-downstream-servers.js';
import { up0011ReplicaDeployments } from './0011-replica-deployments.js';
import { up0012ReportingRollup } from './0012-reporting-rollup.js';
import { up0013CleanupJournal } from './0013-cleanup-journal.js';
import { up0014Rings } from './0014-rings.js';
import { up0015CatalogRollouts } from './0015-catalog-rollouts.js';
import { up0017RuleRings } from './0017-rule-rings.js';
import { up0018Jobs } from './0018-jobs.js';
import { up0019AdminSessions } from './0019-admin-sessions.js';
import { up0020Bundles } from './0020-bundles.js';
import { up0022DriverMetadata } from './0022-driver-metadata.js';

/**
 * Migrations as code, in a static list (no file globbing, so a bundled or compiled build finds them).
 * Names sort in order; never rename or edit a released migration: add a new one. There are no `down`
 * steps: a downgrade is a restore from backup.
 */
export function createMigrationProvider(dialect: DialectName): MigrationProvider {
  const migrations: Record<string, Migration> = {
    '0001-catalog': { up: (db) => up0001Catalog(db, dialect) },
    '0002-operations': { up: (db) => up0002Operations(db, dialect) },
    '0003-fleet': { up: (db) => up0003Fleet(db, dialect) },
    '0004-public-views': { up: (db) => up0004PublicViews(db, dialect) },
    '0005-revision-behaviour': { up: (db) => up0005RevisionBehaviour(db, dialect) },
    '0006-client-event-retention': { up: (db) => up0006ClientEventRetention(db) },
    '0007-catalog-pin': { up: (db) => up0007CatalogPin(db, dialect) },
    '0008-upstream-catalog-log': { up: (db) => up0008UpstreamCatalogLog(db, dialect) },
    '0009-supersedence-view': { up: (db) => up0009SupersedenceView(db, dialect) },
    '0010-downstream-servers': { up: (db) => up0010DownstreamServers(db, dialect) },
    '0011-replica-deployments': { up: (db) => up0011ReplicaDeployments(db, dialect) },
    '0012-reporting-rollup': { up: (db) => up0012ReportingRollup(db, dialect) },
    '0013-cleanup-journal': { up: (db) => up0013CleanupJournal(db, dialect) },
    '0014-rings': { up: (db) => up0014Rings(db, dialect) },
    '0015-catalog-rollouts': { up: (db) => up0015CatalogRollouts(db, dialect) },
    '0017-rule-rings': { up: (db) => up0017RuleRings(db, dialect) },
    '0018-jobs': { up: (db) => up0018Jobs(db, dialect) },
    '0019-admin-sessions': { up: (db) => up0019AdminSessions(db, dialect) },
    '0020-bundles': { up: (db) => up0020Bundles(db, dialect) },
    '0022-driver-metadata': { up: (db) => up0022DriverMetadata(db, dialect) },
  };
  return { getMigrations: () => Promise.resolve(migrations) };
}
