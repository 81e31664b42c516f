import type { FastifyInstance } from 'fastify';
import { cleanupSteps, parseCleanupSteps, type CleanupService } from '../../maintenance/index.js';
import { actorOf } from './auth.js';
import { openObject, problems } from './schemas.js';

/** Items per step in the API answer: the totals always cover everything, the lists stay a bounded size. */
export const cleanupItemsShown = 1_000;

const stepSchema = {
  type: 'object',
  additionalProperties: true,
  required: ['step', 'rows', 'files', 'bytes', 'ms', 'items', 'itemsOmitted'],
  properties: {
    step: { type: 'string', enum: [...cleanupSteps] },
    rows: { type: 'integer', description: 'Database rows removed (or, in a dry run, that would be).' },
    files: { type: 'integer', description: 'Content objects deleted from the store.' },
    bytes: { type: 'integer', description: 'Bytes reclaimed.' },
    ms: { type: 'integer' },
    skipped: { type: 'string', description: 'Why the step did nothing (disabled by configuration).' },
    items: { type: 'array', items: openObject, description: `The first ${cleanupItemsShown} items.` },
    itemsOmitted: { type: 'integer', description: 'Items beyond those listed.' },
  },
} as const;

const totals = {
  type: 'object',
  properties: {
    databaseBytes: { type: 'integer' },
    contentFiles: { type: 'integer' },
    contentBytes: { type: 'integer' },
  },
} as const;

/** `POST /api/v1/cleanup`: the server cleanup (docs/administration.md "Server cleanup"), admin role only. */
export function registerCleanupRoutes(app: FastifyInstance, cleanup: CleanupService): void {
  app.post<{ Body: { dryRun?: boolean; only?: string[] } | undefined }>(
    '/api/v1/cleanup',
    {
      config: { permission: 'maintenance:run' },
      schema: {
        summary: 'Run the server cleanup (or plan it with dryRun)',
        description:
          'Obsolete revisions, expired and superseded declines, files no approval needs, silent computers, raw ' +
          'events past retention, catalog generations beyond those kept, then database maintenance; each step ' +
          'with rows, files, bytes and time. `dryRun` lists exactly what a run would remove and changes nothing. ' +
          'A running synchronization, content download or cleanup answers 409 (PB_ERR_SYNC_BUSY).',
        tags: ['maintenance'],
        body: {
          type: 'object',
          additionalProperties: false,
          properties: {
            dryRun: { type: 'boolean' },
            only: {
              type: 'array',
              maxItems: cleanupSteps.length,
              items: { type: 'string', maxLength: 32 },
              description: `Steps to run (default all): ${cleanupSteps.join(', ')}.`,
            },
          },
        },
        response: {
          200: {
            type: 'object',
            required: ['dryRun', 'steps', 'total', 'before'],
            properties: {
              dryRun: { type: 'boolean' },
              startedAt: { type: 'integer' },
              ms: { type: 'integer' },
              steps: { type: 'array', items: stepSchema },
              total: {
                type: 'object',
                properties: {
                  rows: { type: 'integer' },
                  files: { type: 'integer' },
                  bytes: { type: 'integer' },
                },
              },
              before: totals,
              after: totals,
            },
          },
          ...problems(400, 403, 409),
        },
      },
    },
    async (req) => {
      const only = parseCleanupSteps(req.body?.only);
      const r = await cleanup.run({ dryRun: req.body?.dryRun === true, only }, actorOf(req));
      return {
        ...r,
        steps: r.steps.map((s) => ({
          ...s,
          items: s.items.slice(0, cleanupItemsShown),
          itemsOmitted: Math.max(0, s.items.length - cleanupItemsShown),
        })),
      };
    },
  );
}
