/**
 * The server operations of the REST API (issue 15 "REST parity"): status, synchronization, catalog,
 * content, selection and run-time settings. Each route calls the ServerAdmin method (src/operations) that
 * calls what the matching `patchbay` command calls; docs/administration.md maps every command to its route.
 * Long operations answer 202 with a job (jobs-routes.ts).
 */
import type { FastifyInstance } from 'fastify';
import { actorText } from '../../fleet/index.js';
import {
  runtimeSettings,
  selectionKinds,
  type RuntimeSettingsPatch,
  type ServerAdmin,
} from '../../operations/index.js';
import { actorOf } from './auth.js';
import { jobAccepted } from './jobs-routes.js';
import { openObject, problems } from './schemas.js';

const nullableInt = { type: ['integer', 'null'] } as const;
const generationSchema = {
  type: 'object',
  additionalProperties: true,
  properties: {
    generationId: { type: 'integer' },
    state: { type: 'string' },
    memberCount: { type: 'integer' },
    syncRunId: nullableInt,
    createdAt: { type: 'integer' },
    activatedAt: nullableInt,
    previousGenerationId: nullableInt,
  },
} as const;
const pinSchema = {
  type: ['object', 'null'],
  additionalProperties: true,
  properties: {
    generationId: { type: 'integer' },
    pinnedAt: { type: 'integer' },
    pinnedBy: { type: ['string', 'null'] },
  },
} as const;
const diffRow = { type: 'object', additionalProperties: true } as const;
const names = {
  type: 'array',
  maxItems: 1000,
  items: { type: 'string', minLength: 1, maxLength: 200 },
} as const;

export function registerServerRoutes(app: FastifyInstance, server: ServerAdmin): void {
  const actor = (req: Parameters<typeof actorOf>[0]) => actorText(actorOf(req));

  app.get(
    '/api/v1/status',
    {
      config: { permission: 'catalog:read' },
      schema: {
        summary: 'The status screen: what `patchbay status --json` prints (dashboard data)',
        tags: ['status'],
        response: { 200: openObject, ...problems(403) },
      },
    },
    async () => server.status(),
  );

  app.post<{ Body: { content?: boolean } | undefined }>(
    '/api/v1/sync',
    {
      config: { permission: 'server:write' },
      schema: {
        summary: 'Start a synchronization (metadata, then content): a job to poll or stream',
        description:
          '`patchbay sync` as a job. 409 PB_ERR_SYNC_BUSY while a synchronization runs anywhere in the ' +
          'cluster; `context.jobId` names the running API job (null when the schedule or a CLI runs it).',
        tags: ['sync'],
        body: {
          type: 'object',
          additionalProperties: false,
          properties: { content: { type: 'boolean', description: 'false: skip the content download.' } },
        },
        response: { 202: jobAccepted, ...problems(403, 409) },
      },
    },
    async (req, reply) => {
      const job = await server.startSync(actor(req), { content: req.body?.content !== false });
      return reply.code(202).send({ job });
    },
  );

  app.get(
    '/api/v1/sync/status',
    {
      config: { permission: 'catalog:read' },
      schema: {
        summary: 'Last synchronization, stale warning, pin, schedule: `patchbay sync status --json`',
        description: '`job` is the API sync job running now, if any.',
        tags: ['sync'],
        response: { 200: openObject, ...problems(403) },
      },
    },
    async () => server.syncStatus(),
  );

  app.get<{ Querystring: { limit?: number } }>(
    '/api/v1/sync/history',
    {
      config: { permission: 'catalog:read' },
      schema: {
        summary: 'Synchronization and content runs with counters and typed errors (`patchbay sync history`)',
        tags: ['sync'],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { limit: { type: 'integer', minimum: 1, maximum: 1000, description: 'Default 50.' } },
        },
        response: {
          200: {
            type: 'object',
            required: ['items'],
            properties: { items: { type: 'array', items: openObject } },
          },
          ...problems(403),
        },
      },
    },
    async (req) => ({ items: await server.syncHistory(req.query.limit ?? 50) }),
  );

  app.get(
    '/api/v1/catalog',
    {
      config: { permission: 'catalog:read' },
      schema: {
        summary: 'Catalog generations, the active one and the pin (`patchbay catalog status --json`)',
        tags: ['catalog'],
        response: {
          200: {
            type: 'object',
            additionalProperties: true,
            properties: {
              active: { ...generationSchema, type: ['object', 'null'] },
              pin: pinSchema,
              recentGenerations: { type: 'array', items: generationSchema },
              revisions: { type: 'integer' },
              quarantined: { type: 'integer' },
              stale: { type: 'boolean' },
              lastGoodSyncAt: nullableInt,
            },
          },
          ...problems(403),
        },
      },
    },
    async () => server.catalog(),
  );

  app.get<{ Querystring: { reason?: string; limit?: number } }>(
    '/api/v1/catalog/quarantine',
    {
      config: { permission: 'catalog:read' },
      schema: {
        summary: 'Revisions held out of the catalog, with reason codes and the next retry',
        tags: ['catalog'],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            reason: { type: 'string', maxLength: 64, description: 'Only this reason code.' },
            limit: { type: 'integer', minimum: 1, maximum: 10_000, description: 'Default 1000.' },
          },
        },
        response: {
          200: {
            type: 'object',
            required: ['items'],
            properties: {
              items: {
                type: 'array',
                items: {
                  type: 'object',
                  additionalProperties: true,
                  properties: {
                    updateId: { type: 'string' },
                    revisionNumber: { type: 'integer' },
                    reasonCode: { type: 'string' },
                    detail: { type: ['string', 'null'] },
                    causedByUpdateId: { type: ['string', 'null'] },
                    retryCount: { type: 'integer' },
                    nextRetryAt: nullableInt,
                  },
                },
              },
            },
          },
          ...problems(403),
        },
      },
    },
    async (req) => ({
      items: await server.quarantine({
        ...(req.query.reason !== undefined ? { reasonCode: req.query.reason } : {}),
        limit: req.query.limit ?? 1000,
      }),
    }),
  );

  app.post<{ Body: { to?: number; dryRun?: boolean } | undefined }>(
    '/api/v1/catalog/rollback',
    {
      config: { permission: 'server:write' },
      schema: {
        summary:
          'Serve an earlier generation again and pin it (or, with dryRun, what clients would see change)',
        description:
          'Atomic; clients see it on their next scan. Synchronizations keep running but activate nothing ' +
          'until DELETE /api/v1/catalog/pin. `to` defaults to the generation the active one replaced. ' +
          'dryRun answers `added`, `removed` and `changed` updates and changes nothing.',
        tags: ['catalog'],
        body: {
          type: 'object',
          additionalProperties: false,
          properties: {
            to: { type: 'integer', minimum: 1, maximum: 999_999_999 },
            dryRun: { type: 'boolean' },
          },
        },
        response: {
          200: {
            type: 'object',
            additionalProperties: true,
            required: ['dryRun'],
            properties: {
              dryRun: { type: 'boolean' },
              active: generationSchema,
              replaced: generationSchema,
              pinned: { type: 'boolean' },
              fromGenerationId: { type: 'integer' },
              toGenerationId: { type: 'integer' },
              added: { type: 'array', items: diffRow },
              removed: { type: 'array', items: diffRow },
              changed: { type: 'array', items: diffRow },
            },
          },
          ...problems(403, 404, 409),
        },
      },
    },
    async (req) =>
      server.rollback(
        { ...(req.body?.to !== undefined ? { to: req.body.to } : {}), dryRun: req.body?.dryRun === true },
        actor(req),
      ),
  );

  app.post<{ Body: { generation: number } }>(
    '/api/v1/catalog/pin',
    {
      config: { permission: 'server:write' },
      schema: {
        summary: 'Serve generation N (it may be the active one) and pin it',
        tags: ['catalog'],
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['generation'],
          properties: { generation: { type: 'integer', minimum: 1, maximum: 999_999_999 } },
        },
        response: {
          200: {
            type: 'object',
            additionalProperties: true,
            properties: { active: generationSchema, replaced: generationSchema, pinned: { type: 'boolean' } },
          },
          ...problems(403, 404, 409),
        },
      },
    },
    async (req) => server.pin(req.body.generation, actor(req)),
  );

  app.delete(
    '/api/v1/catalog/pin',
    {
      config: { permission: 'server:write' },
      schema: {
        summary: 'End the pin: the next synchronization activates what it builds (`patchbay catalog unpin`)',
        tags: ['catalog'],
        response: {
          200: { type: 'object', properties: { unpinned: pinSchema } },
          ...problems(403),
        },
      },
    },
    async (req) => server.unpin(actor(req)),
  );

  app.get(
    '/api/v1/content',
    {
      config: { permission: 'catalog:read' },
      schema: {
        summary: 'Files and bytes per download state and the latest failures (`patchbay content status`)',
        tags: ['content'],
        response: { 200: openObject, ...problems(403) },
      },
    },
    async () => server.content(),
  );

  for (const [path, summary, start] of [
    [
      '/api/v1/content/verify',
      'Re-hash every stored file; corrupt or missing ones are queued again: a job',
      (a: string) => server.startContentVerify(a),
    ],
    [
      '/api/v1/content/download',
      'Download the queued files now: a job (409 while a download runs anywhere)',
      (a: string) => server.startContentDownload(a),
    ],
  ] as const)
    app.post(
      path,
      {
        config: { permission: 'server:write' },
        schema: {
          summary,
          tags: ['content'],
          body: { type: 'object', additionalProperties: false, properties: {} },
          response: { 202: jobAccepted, ...problems(403, 409) },
        },
      },
      async (req, reply) => reply.code(202).send({ job: await start(actor(req)) }),
    );

  for (const kind of selectionKinds) {
    const listing = {
      type: 'object',
      additionalProperties: true,
      required: ['selection', 'synced'],
      properties: {
        selection: {
          type: 'array',
          items: { type: 'string' },
          description: 'Entries as stored (titles or GUIDs).',
        },
        synced: { type: 'boolean', description: "false until a first sync stored the upstream's list." },
        [kind]: { type: 'array', items: openObject },
      },
    } as const;
    app.get(
      `/api/v1/${kind}`,
      {
        config: { permission: 'catalog:read' },
        schema: {
          summary: `The ${kind} synchronized from the upstream, each with whether it is selected`,
          tags: ['selection'],
          response: { 200: listing, ...problems(403) },
        },
      },
      async () => server.selection(kind),
    );
    app.put<{ Body: { selection: string[] } }>(
      `/api/v1/${kind}`,
      {
        config: { permission: 'server:write' },
        schema: {
          summary: `Replace the selected ${kind} (titles or GUIDs); takes effect at the next sync`,
          description:
            'An unknown name is refused with the closest known one (400 PB_ERR_INVALID_PARAMETER, ' +
            '`context.suggestion`) and nothing changes.',
          tags: ['selection'],
          body: {
            type: 'object',
            additionalProperties: false,
            required: ['selection'],
            properties: { selection: names },
          },
          response: { 200: listing, ...problems(403) },
        },
      },
      async (req) => server.putSelection(kind, req.body.selection, actor(req)),
    );
  }

  app.get(
    '/api/v1/settings',
    {
      config: { permission: 'catalog:read' },
      schema: {
        summary: 'Run-time settings, the selection and the effective configuration (secrets redacted)',
        description:
          '`runtime` holds what PATCH changes; `config` is patchbay.ini as loaded (read-only: every node ' +
          'reads it at start, so it changes with the file and a restart).',
        tags: ['settings'],
        response: { 200: openObject, ...problems(403) },
      },
    },
    async () => server.settings(),
  );

  app.patch<{ Body: RuntimeSettingsPatch }>(
    '/api/v1/settings',
    {
      config: { permission: 'server:write' },
      schema: {
        summary: `Change run-time settings: ${runtimeSettings.join(', ')}`,
        tags: ['settings'],
        body: {
          type: 'object',
          additionalProperties: false,
          minProperties: 1,
          properties: {
            targetingMode: { type: 'string', enum: ['server', 'client'] },
            ruleSwitches: {
              type: 'object',
              additionalProperties: false,
              minProperties: 1,
              properties: {
                approveNewRevisionsOfApproved: { type: 'boolean' },
                declineExpired: { type: 'boolean' },
              },
            },
          },
        },
        response: { 200: openObject, ...problems(403) },
      },
    },
    async (req) => server.patchSettings(req.body, actorOf(req)),
  );
}
