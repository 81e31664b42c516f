import type { FastifyInstance } from 'fastify';
import type { AdminServices } from '../../admin/index.js';
import { actorOf } from './auth.js';
import {
  toSelection,
  toUpdateFilter,
  parseWireTime,
  type WireSelection,
  type WireUpdateFilter,
} from './convert.js';
import {
  approvalPlanSchema,
  approvalSchema,
  guidPattern,
  openObject,
  pageOf,
  pageQuery,
  problems,
  selectionProperties,
  updateFilterProperties,
  updateSchema,
} from './schemas.js';

type Paged = { limit?: number; cursor?: string };

/** Updates, approvals and declines. */
export function registerUpdateRoutes(app: FastifyInstance, services: AdminServices): void {
  app.get<{ Querystring: WireUpdateFilter & Paged }>(
    '/api/v1/updates',
    {
      config: { permission: 'catalog:read' },
      schema: {
        summary: 'List updates (current revisions) with filters',
        tags: ['updates'],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { ...updateFilterProperties, ...pageQuery },
        },
        response: { 200: pageOf(updateSchema), ...problems(403, 404) },
      },
    },
    async (req) => {
      const { limit, cursor, ...filter } = req.query;
      return services.updates.list(await toUpdateFilter(services, filter), { limit, cursor });
    },
  );

  app.get<{ Params: { update: string } }>(
    '/api/v1/updates/:update',
    {
      config: { permission: 'catalog:read' },
      schema: {
        summary: 'One update by id or KB number, with approvals, bundle links and status counts',
        tags: ['updates'],
        params: {
          type: 'object',
          required: ['update'],
          properties: { update: { type: 'string', maxLength: 64, description: 'Update id or KB number.' } },
        },
        response: {
          200: {
            ...updateSchema,
            properties: { ...updateSchema.properties, uninstallable: { type: 'boolean' } },
          },
          ...problems(403, 404),
        },
      },
    },
    async (req) => services.updates.show(req.params.update),
  );

  app.get<{ Querystring: { update?: string; group?: string; action?: string } & Paged }>(
    '/api/v1/approvals',
    {
      config: { permission: 'catalog:read' },
      schema: {
        summary: 'List explicit approvals',
        tags: ['approvals'],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            update: { type: 'string', pattern: guidPattern },
            group: { type: 'string', maxLength: 256, description: 'Group id or name.' },
            action: { type: 'string', enum: ['install', 'uninstall', 'not_approved'] },
            ...pageQuery,
          },
        },
        response: { 200: pageOf(approvalSchema), ...problems(403, 404) },
      },
    },
    async (req) => {
      const { limit, cursor, update, group, action } = req.query;
      return services.approvals.list(
        {
          ...(update ? { updateId: update } : {}),
          ...(group ? { group } : {}),
          ...(action ? { action } : {}),
        },
        { limit, cursor },
      );
    },
  );

  app.post<{
    Body: WireSelection & {
      groups: string[];
      action: 'install' | 'uninstall' | 'not_approved';
      deadline?: string | null;
      dryRun?: boolean;
    };
  }>(
    '/api/v1/approvals',
    {
      config: { permission: 'approvals:write' },
      schema: {
        summary:
          'Approve updates for groups (install, uninstall or not approved), optionally with a deadline',
        description:
          'All or nothing: the whole request is checked before anything changes. `dryRun` lists the changes without making them.',
        tags: ['approvals'],
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['groups', 'action'],
          properties: {
            ...selectionProperties,
            groups: {
              type: 'array',
              minItems: 1,
              maxItems: 64,
              items: { type: 'string', minLength: 1, maxLength: 256 },
            },
            action: { type: 'string', enum: ['install', 'uninstall', 'not_approved'] },
            deadline: { type: ['string', 'null'], maxLength: 40, description: 'ISO 8601, in the future.' },
            dryRun: { type: 'boolean' },
          },
        },
        response: { 200: approvalPlanSchema, ...problems(403, 404, 409, 422) },
      },
    },
    async (req) => {
      const b = req.body;
      const deadlineAt = parseWireTime(b.deadline, 'deadline');
      return services.approvals.approve(
        {
          selection: await toSelection(services, b),
          groups: b.groups,
          action: b.action,
          ...(deadlineAt !== undefined ? { deadlineAt } : {}),
          dryRun: b.dryRun === true,
        },
        actorOf(req),
      );
    },
  );

  app.post<{ Body: WireSelection & { groups: string[]; dryRun?: boolean } }>(
    '/api/v1/approvals/remove',
    {
      config: { permission: 'approvals:write' },
      schema: {
        summary: 'Remove explicit approvals (the groups inherit from their parents again)',
        tags: ['approvals'],
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['groups'],
          properties: {
            ...selectionProperties,
            groups: {
              type: 'array',
              minItems: 1,
              maxItems: 64,
              items: { type: 'string', minLength: 1, maxLength: 256 },
            },
            dryRun: { type: 'boolean' },
          },
        },
        response: { 200: approvalPlanSchema, ...problems(403, 404) },
      },
    },
    async (req) =>
      services.approvals.unapprove(
        {
          selection: await toSelection(services, req.body),
          groups: req.body.groups,
          dryRun: req.body.dryRun === true,
        },
        actorOf(req),
      ),
  );

  app.post<{ Body: WireSelection & { reason?: string; dryRun?: boolean } }>(
    '/api/v1/declines',
    {
      config: { permission: 'approvals:write' },
      schema: {
        summary: 'Decline updates (hidden from every client; their approvals are removed)',
        tags: ['approvals'],
        body: {
          type: 'object',
          additionalProperties: false,
          properties: {
            ...selectionProperties,
            reason: { type: 'string', maxLength: 1000 },
            dryRun: { type: 'boolean' },
          },
        },
        response: { 200: approvalPlanSchema, ...problems(403, 404) },
      },
    },
    async (req) =>
      services.approvals.decline(
        {
          selection: await toSelection(services, req.body),
          ...(req.body.reason !== undefined ? { reason: req.body.reason } : {}),
          dryRun: req.body.dryRun === true,
        },
        actorOf(req),
      ),
  );

  app.post<{ Body: WireSelection & { dryRun?: boolean } }>(
    '/api/v1/declines/remove',
    {
      config: { permission: 'approvals:write' },
      schema: {
        summary: 'Un-decline updates',
        tags: ['approvals'],
        body: {
          type: 'object',
          additionalProperties: false,
          properties: { ...selectionProperties, dryRun: { type: 'boolean' } },
        },
        response: { 200: approvalPlanSchema, ...problems(403, 404) },
      },
    },
    async (req) =>
      services.approvals.undecline(
        { selection: await toSelection(services, req.body), dryRun: req.body.dryRun === true },
        actorOf(req),
      ),
  );

  app.post<{ Body: { dryRun?: boolean; minDays?: number } }>(
    '/api/v1/declines/superseded',
    {
      config: { permission: 'approvals:write' },
      schema: {
        summary: 'Decline superseded updates by the safe rule (docs/administration.md)',
        description:
          'Declines every superseded update the rule allows (audited as rule:decline-superseded) and lists ' +
          'the kept ones with the reason. `dryRun` returns the same plan without declining.',
        tags: ['approvals'],
        body: {
          type: 'object',
          additionalProperties: false,
          properties: {
            dryRun: { type: 'boolean' },
            minDays: {
              type: 'integer',
              minimum: 0,
              maximum: 3650,
              description: 'Default: maintenance.decline_superseded_after_days.',
            },
          },
        },
        response: {
          200: {
            type: 'object',
            required: ['dryRun', 'minDays', 'declined', 'kept'],
            properties: {
              dryRun: { type: 'boolean' },
              minDays: { type: 'integer' },
              declined: { type: 'array', items: openObject },
              kept: { type: 'array', items: openObject },
            },
          },
          ...problems(403),
        },
      },
    },
    async (req) =>
      services.supersededDeclines.run(
        {
          dryRun: req.body?.dryRun === true,
          ...(req.body?.minDays !== undefined ? { minDays: req.body.minDays } : {}),
        },
        actorOf(req),
      ),
  );
}
