import type { FastifyInstance } from 'fastify';
import { roles, type AdminServices } from '../../admin/index.js';
import { parseIsoTime, type RuleInput, type RuleSwitches } from '../../fleet/index.js';
import { actorOf } from './auth.js';
import { openObject, pageOf, pageQuery, problems, ruleSchema, tokenSchema } from './schemas.js';

type Paged = { limit?: number; cursor?: string };
const ruleParam = {
  type: 'object',
  required: ['ruleId'],
  properties: { ruleId: { type: 'integer', minimum: 1, maximum: 2147483647 } },
} as const;
const names = {
  type: 'array',
  maxItems: 50,
  items: { type: 'string', minLength: 1, maxLength: 200 },
} as const;
const ruleBodyProperties = {
  name: { type: 'string', minLength: 1, maxLength: 256 },
  classifications: { ...names, description: 'Classification ids or titles.' },
  products: { ...names, description: 'Product ids or titles.' },
  groups: {
    type: 'array',
    minItems: 1,
    maxItems: 64,
    items: { type: 'string', minLength: 1, maxLength: 256 },
  },
  deadlineDays: { type: ['integer', 'null'], minimum: 0, maximum: 365 },
  enabled: { type: 'boolean' },
  rings: {
    type: ['string', 'null'],
    minLength: 1,
    maxLength: 2048,
    description:
      'Instead of groups: a rings plan as for a ringed approval ("all" or "pilot+2d,broad+7d"); each matched update starts a rollout in ring 0. null: approve for groups again.',
  },
} as const;
const runResult = {
  type: 'object',
  properties: {
    dryRun: { type: 'boolean' },
    approvals: { type: 'array', items: openObject },
    rollouts: { type: 'array', items: openObject },
    declined: { type: 'array', items: { type: 'string' } },
    revoked: { type: 'array', items: openObject },
  },
} as const;
const switchesSchema = {
  type: 'object',
  properties: { approveNewRevisionsOfApproved: { type: 'boolean' }, declineExpired: { type: 'boolean' } },
} as const;

/** Automatic approval rules, their switches, the audit log and API tokens. */
export function registerRuleRoutes(app: FastifyInstance, services: AdminServices): void {
  app.get<{ Querystring: Paged }>(
    '/api/v1/rules',
    {
      config: { permission: 'catalog:read' },
      schema: {
        summary: 'List automatic approval rules',
        tags: ['rules'],
        querystring: { type: 'object', additionalProperties: false, properties: pageQuery },
        response: { 200: pageOf(ruleSchema), ...problems(403) },
      },
    },
    async (req) => services.rules.list(req.query),
  );
  app.post<{ Body: RuleInput }>(
    '/api/v1/rules',
    {
      config: { permission: 'rules:write' },
      schema: {
        summary:
          'Create a rule (by classification and/or product, to groups with a deadline offset, or through rings)',
        tags: ['rules'],
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['name'],
          properties: ruleBodyProperties,
        },
        response: { 201: ruleSchema, ...problems(403, 404) },
      },
    },
    async (req, reply) => reply.code(201).send(await services.rules.create(req.body, actorOf(req))),
  );
  app.get<{ Params: { ruleId: number } }>(
    '/api/v1/rules/:ruleId',
    {
      config: { permission: 'catalog:read' },
      schema: {
        summary: 'One rule',
        tags: ['rules'],
        params: ruleParam,
        response: { 200: ruleSchema, ...problems(403, 404) },
      },
    },
    async (req) => services.rules.get(req.params.ruleId),
  );
  app.patch<{ Params: { ruleId: number }; Body: Partial<RuleInput> }>(
    '/api/v1/rules/:ruleId',
    {
      config: { permission: 'rules:write' },
      schema: {
        summary: 'Change some fields of a rule',
        tags: ['rules'],
        params: ruleParam,
        body: {
          type: 'object',
          additionalProperties: false,
          minProperties: 1,
          properties: ruleBodyProperties,
        },
        response: { 200: ruleSchema, ...problems(403, 404) },
      },
    },
    async (req) => services.rules.update(req.params.ruleId, req.body, actorOf(req)),
  );
  app.delete<{ Params: { ruleId: number } }>(
    '/api/v1/rules/:ruleId',
    {
      config: { permission: 'rules:write' },
      schema: {
        summary: 'Delete a rule',
        tags: ['rules'],
        params: ruleParam,
        response: { 200: ruleSchema, ...problems(403, 404) },
      },
    },
    async (req) => services.rules.delete(req.params.ruleId, actorOf(req)),
  );
  app.post<{ Params: { ruleId: number }; Body: { dryRun?: boolean } }>(
    '/api/v1/rules/:ruleId/run',
    {
      config: { permission: 'approvals:write' },
      schema: {
        summary: 'Run a rule against the catalog now (dryRun: list what it would approve)',
        tags: ['rules'],
        params: ruleParam,
        body: { type: 'object', additionalProperties: false, properties: { dryRun: { type: 'boolean' } } },
        response: { 200: runResult, ...problems(403, 404) },
      },
    },
    async (req) => services.rules.run(req.params.ruleId, { dryRun: req.body.dryRun === true }, actorOf(req)),
  );
  app.get(
    '/api/v1/rule-settings',
    {
      config: { permission: 'catalog:read' },
      schema: {
        summary: 'The "approve new revisions" and "decline expired" switches',
        tags: ['rules'],
        response: { 200: switchesSchema, ...problems(403) },
      },
    },
    async () => services.rules.getSwitches(),
  );
  app.put<{ Body: Partial<RuleSwitches> }>(
    '/api/v1/rule-settings',
    {
      config: { permission: 'rules:write' },
      schema: {
        summary: 'Set the rule switches',
        tags: ['rules'],
        body: { ...switchesSchema, additionalProperties: false, minProperties: 1 },
        response: { 200: switchesSchema, ...problems(403) },
      },
    },
    async (req) => services.rules.setSwitches(req.body, actorOf(req)),
  );

  app.get<{
    Querystring: {
      actor?: string;
      action?: string;
      targetType?: string;
      targetId?: string;
      since?: string;
      until?: string;
    } & Paged;
  }>(
    '/api/v1/audit',
    {
      config: { permission: 'audit:read' },
      schema: {
        summary: 'The audit log, newest first (who, when, how)',
        tags: ['audit'],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            actor: { type: 'string', maxLength: 300, description: 'e.g. cli:alice, api:ci, rule:3' },
            action: {
              type: 'string',
              maxLength: 100,
              description: 'Exact action, or a prefix ending in "." (approval.)',
            },
            targetType: { type: 'string', maxLength: 50 },
            targetId: { type: 'string', maxLength: 100 },
            since: { type: 'string', maxLength: 40, description: 'ISO 8601' },
            until: { type: 'string', maxLength: 40, description: 'ISO 8601' },
            ...pageQuery,
          },
        },
        response: { 200: pageOf(openObject), ...problems(403) },
      },
    },
    async (req) => {
      const { limit, cursor, since, until, ...rest } = req.query;
      return services.audit.list(
        {
          ...rest,
          ...(since !== undefined ? { since: parseIsoTime(since, 'since') } : {}),
          ...(until !== undefined ? { until: parseIsoTime(until, 'until') } : {}),
        },
        { limit, cursor },
      );
    },
  );

  app.get(
    '/api/v1/tokens',
    {
      config: { permission: 'tokens:admin' },
      schema: {
        summary: 'List API tokens (never the secrets)',
        tags: ['tokens'],
        response: {
          200: { type: 'object', properties: { items: { type: 'array', items: tokenSchema } } },
          ...problems(403),
        },
      },
    },
    async () => ({ items: await services.tokens.list() }),
  );
  app.post<{ Body: { name: string; role: string; expiresInDays?: number } }>(
    '/api/v1/tokens',
    {
      config: { permission: 'tokens:admin' },
      schema: {
        summary: 'Create a token; the secret is in this response only',
        tags: ['tokens'],
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['name', 'role'],
          properties: {
            name: { type: 'string', minLength: 1, maxLength: 256 },
            role: { type: 'string', enum: [...roles] },
            expiresInDays: { type: 'integer', minimum: 1, maximum: 3650 },
          },
        },
        response: {
          201: { type: 'object', properties: { token: { type: 'string' }, record: tokenSchema } },
          ...problems(403, 409),
        },
      },
    },
    async (req, reply) =>
      reply
        .code(201)
        .header('cache-control', 'no-store')
        .send(await services.tokens.create(req.body, actorOf(req))),
  );
  app.delete<{ Params: { token: string } }>(
    '/api/v1/tokens/:token',
    {
      config: { permission: 'tokens:admin' },
      schema: {
        summary: 'Revoke a token by id or name',
        tags: ['tokens'],
        params: {
          type: 'object',
          required: ['token'],
          properties: { token: { type: 'string', minLength: 1, maxLength: 256 } },
        },
        response: { 200: tokenSchema, ...problems(403, 404, 409) },
      },
    },
    async (req) => services.tokens.revoke(req.params.token, actorOf(req)),
  );
}
