/**
 * The connector's schedule inside `patchbay serve`: one job per target instance in the shared job registry
 * (src/jobs), on the instance's cron `schedule` (default once a day at 03:00). The scheduler runs it once per
 * cluster under a job lease, never overlapping itself. Under `serve` the connector reads the server's own
 * database (one handle per process); `[source]` in connector.ini is for `patchbay connector run`.
 */
import type { JobRegistry } from '../jobs/index.js';
import type { Logger } from '../observability/index.js';
import type { DbHandle } from '../storage/index.js';
import type { ConnectorConfig } from './connector-config.js';
import { runInstance } from './connector-run.js';
import { createViewReader } from './view-reader.js';

/** `main` -> `connector-main`; job names are kebab-case. */
export function connectorJobName(instance: string): string {
  return `connector-${instance.toLowerCase().replace(/_/g, '-')}`.slice(0, 63);
}

export function registerConnectorJobs(
  jobs: JobRegistry,
  deps: { config: ConnectorConfig; handle: DbHandle; logger: Logger; version: string },
): string[] {
  const reader = createViewReader(deps.handle);
  const names: string[] = [];
  for (const instance of deps.config.instances) {
    const name = connectorJobName(instance.name);
    jobs.register({
      name,
      description: `asset-management connector: send to ${instance.baseUrl} (${instance.groups.length} groups)`,
      trigger: { kind: 'cron', pattern: instance.schedule },
      singleRunner: true,
      run: async (ctx) => {
        const summary = await runInstance({
          instance,
          handle: deps.handle,
          reader,
          logger: ctx.logger.child({ component: 'connector' }),
          version: deps.version,
        });
        if (summary.outcome === 'failed' || summary.outcome === 'partial') {
          const failed = summary.groups.find((g) => g.outcome === 'failed');
          throw new Error(`connector ${instance.name}: ${failed?.reason ?? summary.outcome}`);
        }
      },
    });
    names.push(name);
  }
  return names;
}
