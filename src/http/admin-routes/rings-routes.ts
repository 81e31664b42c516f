/**
 * Rollout rings over REST (docs/rings.md): the rings, ringed approvals (start with a preview, status, history,
 * resume / skip / stop) and the ringed catalog change (status, promote / hold / abort). The same services as
 * `patchbay rings`, `patchbay rollouts`, `patchbay approve --rings` and `patchbay catalog rollout|promote|hold|abort`,
 * so the checks, the AppError codes and the audit rows are the CLI's.
 */
import type { FastifyInstance } from 'fastify';
import type { AdminServices } from '../../admin/index.js';
import { actorText, type RingFields } from '../../fleet/index.js';
import type { CatalogRolloutService } from '../../sync/index.js';
import { actorOf } from './auth.js';
import { toSelection, type WireSelection } from './convert.js';
import { openObject, problems, selectionProperties } from './schemas.js';

const nullableString = { type: ['string', 'null'] } as const;
const nullableInt = { type: ['integer', 'null'] } as const;

const ringSchema = {
  type: 'object',
  additionalProperties: true,
  properties: {
    ringId: { type: 'integer' },
    name: { type: 'string' },
    position: { type: 'integer', description: '0 = first ring.' },
    description: nullableString,
    soakMs: { type: 'integer' },
    soak: { type: 'string', description: 'The soak as the CLI takes it (2d, 1d12h).' },
    minReported: { type: 'integer' },
    maxFailurePercent: { type: 'number' },
    maxFaultPercent: { type: 'number' },
    maxUninstalls: { type: 'integer' },
    groups: {
      type: 'array',
      items: { type: 'object', properties: { groupId: { type: 'string' }, name: { type: 'string' } } },
    },
    createdAt: { type: 'integer' },
    updatedAt: { type: 'integer' },
  },
} as const;

const rolloutSchema = {
  type: 'object',
  additionalProperties: true,
  description:
    'A ringed approval: the ring it is in since when, the gate figures now against their thresholds, and the next promotion time or why it is held.',
  properties: {
    rolloutId: { type: 'integer' },
    updateId: { type: 'string' },
    title: nullableString,
    kbArticleId: nullableString,
    state: { type: 'string', enum: ['running', 'paused', 'completed', 'stopped'] },
    ring: { type: 'string' },
    position: { type: 'integer' },
    stages: { type: 'integer' },
    since: { type: 'integer' },
    gate: { type: ['object', 'null'], additionalProperties: true },
    nextPromotionAt: nullableInt,
    holdReason: nullableString,
    evidence: { description: 'Of a paused rollout: the failing computers and their codes.' },
    plan: { type: 'array', items: openObject },
    createdBy: { type: 'string' },
    createdAt: { type: 'integer' },
    finishedAt: nullableInt,
  },
} as const;

const startResultSchema = {
  type: 'object',
  additionalProperties: true,
  properties: {
    dryRun: { type: 'boolean' },
    schedule: {
      type: 'array',
      description: 'Each stage: ring, computers now, earliest start and deadline, soak, gate.',
      items: openObject,
    },
    rollouts: { type: 'array', items: openObject },
    skipped: { type: 'array', items: openObject },
  },
} as const;

const catalogRolloutSchema = {
  type: 'object',
  additionalProperties: true,
  description:
    'The ringed catalog change in progress or the last one (`rollout` null when there never was one): its ring, the gate figures now and the next decision time.',
  properties: {
    rollout: { type: ['object', 'null'], additionalProperties: true },
    rings: { type: 'array', items: { type: 'string' } },
    figures: { type: ['object', 'null'], additionalProperties: true },
    nextDecisionAt: nullableInt,
  },
} as const;

const ringParam = {
  type: 'object',
  required: ['ring'],
  properties: { ring: { type: 'string', minLength: 1, maxLength: 64, description: 'Ring name or id.' } },
} as const;
const rolloutParam = {
  type: 'object',
  required: ['rolloutId'],
  properties: { rolloutId: { type: 'integer', minimum: 1, maximum: 2147483647 } },
} as const;

/** The CLI's ring options as a body (thresholds as numbers, the soak as text). */
const ringBodyProperties = {
  name: { type: 'string', minLength: 1, maxLength: 64 },
  description: { type: ['string', 'null'], maxLength: 1000 },
  groups: {
    type: 'array',
    maxItems: 64,
    items: { type: 'string', minLength: 1, maxLength: 256 },
    description: 'Group ids, names or paths (PATCH replaces the list).',
  },
  soak: { type: 'string', minLength: 1, maxLength: 32, description: 'e.g. 12h, 2d, 1d12h (default 1d).' },
  minReported: { type: 'integer', minimum: 0, description: 'Default 1.' },
  maxFailurePercent: { type: 'number', minimum: 0, maximum: 100, description: 'Default 5.' },
  maxFaultPercent: { type: 'number', minimum: 0, maximum: 100, description: 'Default 10.' },
  maxUninstalls: { type: 'integer', minimum: 0, description: 'Default 0.' },
  position: { type: 'integer', minimum: 0, maximum: 1000, description: '0 = first (default: last).' },
} as const;

const reasonBody = {
  type: 'object',
  additionalProperties: false,
  properties: {
    reason: { type: 'string', maxLength: 500, description: 'Kept with the rollout and audited.' },
  },
} as const;

export interface RingRoutesDeps {
  readonly services: AdminServices;
  /** The ringed catalog change; its routes are served when given. */
  readonly catalogRollouts?: CatalogRolloutService;
}

export function registerRingRoutes(app: FastifyInstance, deps: RingRoutesDeps): void {
  const { services } = deps;
  app.get(
    '/api/v1/rings',
    {
      config: { permission: 'catalog:read' },
      schema: {
        summary: 'List the rollout rings in order',
        tags: ['rings'],
        response: {
          200: { type: 'object', properties: { items: { type: 'array', items: ringSchema } } },
          ...problems(403),
        },
      },
    },
    async () => ({ items: await services.rings.list() }),
  );
  app.post<{ Body: RingFields & { name: string } }>(
    '/api/v1/rings',
    {
      config: { permission: 'fleet:write' },
      schema: {
        summary: 'Create a ring (groups, soak time, health gate; appended last unless `position`)',
        tags: ['rings'],
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['name'],
          properties: ringBodyProperties,
        },
        response: { 201: ringSchema, ...problems(403, 404, 409) },
      },
    },
    async (req, reply) => reply.code(201).send(await services.rings.create(req.body, actorOf(req))),
  );
  app.get<{ Params: { ring: string } }>(
    '/api/v1/rings/:ring',
    {
      config: { permission: 'catalog:read' },
      schema: {
        summary: 'One ring',
        tags: ['rings'],
        params: ringParam,
        response: { 200: ringSchema, ...problems(403, 404) },
      },
    },
    async (req) => services.rings.resolve(req.params.ring),
  );
  app.patch<{ Params: { ring: string }; Body: RingFields }>(
    '/api/v1/rings/:ring',
    {
      config: { permission: 'fleet:write' },
      schema: {
        summary: 'Change a ring (reordering is refused while a rollout runs)',
        tags: ['rings'],
        params: ringParam,
        body: {
          type: 'object',
          additionalProperties: false,
          minProperties: 1,
          properties: ringBodyProperties,
        },
        response: { 200: ringSchema, ...problems(403, 404, 409) },
      },
    },
    async (req) => services.rings.set(req.params.ring, req.body, actorOf(req)),
  );
  app.delete<{ Params: { ring: string } }>(
    '/api/v1/rings/:ring',
    {
      config: { permission: 'fleet:write' },
      schema: {
        summary: 'Delete a ring (refused while a rollout uses it)',
        tags: ['rings'],
        params: ringParam,
        response: { 200: ringSchema, ...problems(403, 404, 409) },
      },
    },
    async (req) => services.rings.delete(req.params.ring, actorOf(req)),
  );

  app.get<{ Querystring: { all?: boolean } }>(
    '/api/v1/rollouts',
    {
      config: { permission: 'catalog:read' },
      schema: {
        summary: 'Ringed approvals with their gate now (`patchbay rings status`): running and paused ones',
        tags: ['rings'],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { all: { type: 'boolean', description: 'Also completed and stopped rollouts.' } },
        },
        response: {
          200: { type: 'object', properties: { items: { type: 'array', items: rolloutSchema } } },
          ...problems(403),
        },
      },
    },
    async (req) => ({
      items: await services.rollouts.status(
        req.query.all === true ? { states: ['running', 'paused', 'completed', 'stopped'] } : {},
      ),
    }),
  );
  app.post<{ Body: WireSelection & { plan: string; dryRun?: boolean } }>(
    '/api/v1/rollouts',
    {
      config: { permission: 'approvals:write' },
      schema: {
        summary: 'Start ringed install approvals (`approve --rings`); `dryRun` previews the schedule',
        description:
          '`plan` is "all" or rings in order, each with an optional deadline offset: `pilot+2d,broad+7d`. One rollout per selected update; the first ring is approved now.',
        tags: ['rings'],
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['plan'],
          properties: {
            ...selectionProperties,
            plan: { type: 'string', minLength: 1, maxLength: 1000 },
            dryRun: { type: 'boolean' },
          },
        },
        response: { 200: startResultSchema, ...problems(403, 404, 409) },
      },
    },
    async (req) => {
      const { plan, dryRun, ...selection } = req.body;
      return services.rollouts.start(
        { selection: await toSelection(services, selection), plan, dryRun: dryRun === true },
        actorOf(req),
      );
    },
  );
  app.get<{ Params: { rolloutId: number } }>(
    '/api/v1/rollouts/:rolloutId',
    {
      config: { permission: 'catalog:read' },
      schema: {
        summary: 'One ringed approval with its gate now',
        tags: ['rings'],
        params: rolloutParam,
        response: { 200: rolloutSchema, ...problems(403, 404) },
      },
    },
    async (req) => (await services.rollouts.status({ rolloutId: req.params.rolloutId }))[0],
  );
  app.get<{ Params: { rolloutId: number } }>(
    '/api/v1/rollouts/:rolloutId/history',
    {
      config: { permission: 'catalog:read' },
      schema: {
        summary: 'Every stage change of a ringed approval',
        tags: ['rings'],
        params: rolloutParam,
        response: {
          200: { type: 'object', properties: { items: { type: 'array', items: openObject } } },
          ...problems(403, 404),
        },
      },
    },
    async (req) => ({ items: await services.rollouts.history(req.params.rolloutId) }),
  );
  for (const [name, summary] of [
    ['resume', 'Run a paused rollout again in its ring (a new soak)'],
    ['skip', 'Move a rollout to its next ring now, whatever its gate says'],
    ['stop', 'End a rollout where it is (rings reached keep their approvals)'],
  ] as const)
    app.post<{ Params: { rolloutId: number } }>(
      `/api/v1/rollouts/:rolloutId/${name}`,
      {
        config: { permission: 'approvals:write' },
        schema: {
          summary,
          tags: ['rings'],
          params: rolloutParam,
          body: { type: 'object', additionalProperties: false, properties: {} },
          response: { 200: rolloutSchema, ...problems(403, 404, 409) },
        },
      },
      async (req) => services.rollouts[name](req.params.rolloutId, actorOf(req)),
    );

  const catalog = deps.catalogRollouts;
  if (catalog === undefined) return;
  app.get(
    '/api/v1/catalog/rollout',
    {
      config: { permission: 'catalog:read' },
      schema: {
        summary: 'The ringed catalog change in progress (or the last one) with its gate figures',
        tags: ['rings'],
        response: { 200: catalogRolloutSchema, ...problems(403) },
      },
    },
    async () => (await catalog.status()) ?? { rollout: null, rings: [], figures: null, nextDecisionAt: null },
  );
  for (const [name, summary] of [
    ['promote', 'Move the rolling-out catalog generation to the next ring now, past its gate'],
    ['hold', 'Keep the rolling-out catalog generation in the rings it reached until promote or abort'],
    ['abort', 'Withdraw the rolling-out catalog generation: every ring is served the previous one again'],
  ] as const)
    app.post<{ Body: { reason?: string } | undefined }>(
      `/api/v1/catalog/rollout/${name}`,
      {
        config: { permission: 'fleet:write' },
        schema: {
          summary,
          tags: ['rings'],
          body: reasonBody,
          response: {
            200: { type: 'object', additionalProperties: true, description: 'The catalog rollout after it.' },
            ...problems(403, 409),
          },
        },
      },
      async (req) => {
        const actor = actorText(actorOf(req));
        const reason = req.body?.reason;
        return name === 'promote'
          ? catalog.promote(actor)
          : name === 'hold'
            ? catalog.hold(actor, reason)
            : catalog.abort(actor, reason);
      },
    );
}
