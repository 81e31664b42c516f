import type { FastifyInstance } from 'fastify';
import type { AdminServices } from '../../admin/index.js';
import type { TargetingMode } from '../../fleet/index.js';
import { actorOf } from './auth.js';
import {
  computerSchema,
  groupSchema,
  guidPattern,
  openObject,
  pageOf,
  pageQuery,
  problems,
} from './schemas.js';

type Paged = { limit?: number; cursor?: string };
const groupParam = {
  type: 'object',
  required: ['group'],
  properties: {
    group: { type: 'string', minLength: 1, maxLength: 256, description: 'Group id, name or path.' },
  },
} as const;
const computerParam = { computerId: { type: 'string', pattern: guidPattern } } as const;

/** Groups, memberships, targeting mode, computers. */
export function registerFleetRoutes(app: FastifyInstance, services: AdminServices): void {
  app.get<{ Querystring: { text?: string; parent?: string } & Paged }>(
    '/api/v1/groups',
    {
      config: { permission: 'catalog:read' },
      schema: {
        summary: 'List computer groups (by path)',
        tags: ['groups'],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            text: { type: 'string', maxLength: 256 },
            parent: { type: 'string', pattern: guidPattern },
            ...pageQuery,
          },
        },
        response: { 200: pageOf(groupSchema), ...problems(403) },
      },
    },
    async (req) => {
      const { limit, cursor, text, parent } = req.query;
      return services.groups.list(
        { ...(text ? { text } : {}), ...(parent ? { parentGroupId: parent } : {}) },
        { limit, cursor },
      );
    },
  );

  app.post<{ Body: { name: string; parent?: string; description?: string } }>(
    '/api/v1/groups',
    {
      config: { permission: 'fleet:write' },
      schema: {
        summary: 'Create a group (under All Computers unless `parent` is given)',
        tags: ['groups'],
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['name'],
          properties: {
            name: { type: 'string', minLength: 1, maxLength: 256 },
            parent: { type: 'string', minLength: 1, maxLength: 256 },
            description: { type: 'string', maxLength: 1000 },
          },
        },
        response: { 201: groupSchema, ...problems(403, 404, 409) },
      },
    },
    async (req, reply) => reply.code(201).send(await services.groups.create(req.body, actorOf(req))),
  );

  app.get<{ Params: { group: string } }>(
    '/api/v1/groups/:group',
    {
      config: { permission: 'catalog:read' },
      schema: {
        summary: 'One group',
        tags: ['groups'],
        params: groupParam,
        response: { 200: groupSchema, ...problems(403, 404) },
      },
    },
    async (req) => services.groups.get(req.params.group),
  );

  app.delete<{ Params: { group: string } }>(
    '/api/v1/groups/:group',
    {
      config: { permission: 'fleet:write' },
      schema: {
        summary: 'Delete a group without child groups (its computers left without a group go to Unassigned)',
        tags: ['groups'],
        params: groupParam,
        response: { 200: groupSchema, ...problems(403, 404, 409) },
      },
    },
    async (req) => services.groups.delete(req.params.group, actorOf(req)),
  );

  app.post<{ Params: { group: string }; Body: { parent: string } }>(
    '/api/v1/groups/:group/move',
    {
      config: { permission: 'fleet:write' },
      schema: {
        summary: 'Move a group under another parent (a cycle is refused with PB_ERR_GROUP_CYCLE)',
        tags: ['groups'],
        params: groupParam,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['parent'],
          properties: { parent: { type: 'string', minLength: 1, maxLength: 256 } },
        },
        response: { 200: groupSchema, ...problems(403, 404, 409) },
      },
    },
    async (req) => services.groups.move(req.params.group, req.body.parent, actorOf(req)),
  );

  const membership = {
    type: 'object',
    required: ['group', 'computerId'],
    properties: { ...groupParam.properties, ...computerParam },
  } as const;
  const groupsOfComputer = {
    type: 'object',
    properties: { groupIds: { type: 'array', items: { type: 'string' } } },
  } as const;
  app.put<{ Params: { group: string; computerId: string } }>(
    '/api/v1/groups/:group/computers/:computerId',
    {
      config: { permission: 'fleet:write' },
      schema: {
        summary: 'Add a computer to a group',
        tags: ['groups'],
        params: membership,
        response: { 200: groupsOfComputer, ...problems(403, 404, 409) },
      },
    },
    async (req) => ({
      groupIds: await services.groups.addComputer(req.params.group, req.params.computerId, actorOf(req)),
    }),
  );
  app.delete<{ Params: { group: string; computerId: string } }>(
    '/api/v1/groups/:group/computers/:computerId',
    {
      config: { permission: 'fleet:write' },
      schema: {
        summary: 'Remove a computer from a group',
        tags: ['groups'],
        params: membership,
        response: { 200: groupsOfComputer, ...problems(403, 404) },
      },
    },
    async (req) => ({
      groupIds: await services.groups.removeComputer(req.params.group, req.params.computerId, actorOf(req)),
    }),
  );

  const modeSchema = {
    type: 'object',
    required: ['mode'],
    properties: { mode: { type: 'string', enum: ['server', 'client'] } },
  } as const;
  app.get(
    '/api/v1/targeting-mode',
    {
      config: { permission: 'catalog:read' },
      schema: {
        summary: 'Server-side or client-side targeting',
        tags: ['groups'],
        response: { 200: modeSchema, ...problems(403) },
      },
    },
    async () => ({ mode: await services.groups.getTargetingMode() }),
  );
  app.put<{ Body: { mode: TargetingMode } }>(
    '/api/v1/targeting-mode',
    {
      config: { permission: 'fleet:write' },
      schema: {
        summary: 'Switch the targeting mode (back to server-side drops client-side memberships)',
        tags: ['groups'],
        body: { ...modeSchema, additionalProperties: false },
        response: { 200: openObject, ...problems(403) },
      },
    },
    async (req) => services.groups.setTargetingMode(req.body.mode, actorOf(req)),
  );

  app.get<{ Querystring: { text?: string; group?: string; silentDays?: number } & Paged }>(
    '/api/v1/computers',
    {
      config: { permission: 'catalog:read' },
      schema: {
        summary: 'List computers with their inventory and groups',
        tags: ['computers'],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            text: { type: 'string', maxLength: 200 },
            group: { type: 'string', maxLength: 256 },
            silentDays: {
              type: 'integer',
              minimum: 1,
              maximum: 36500,
              description: 'Not seen for this many days.',
            },
            ...pageQuery,
          },
        },
        response: { 200: pageOf(computerSchema), ...problems(403, 404) },
      },
    },
    async (req) => {
      const { limit, cursor, ...filter } = req.query;
      return services.computers.list(filter, { limit, cursor });
    },
  );

  app.get<{ Params: { computerId: string } }>(
    '/api/v1/computers/:computerId',
    {
      config: { permission: 'catalog:read' },
      schema: {
        summary: 'One computer, with its effective approvals (inheritance and the multi-group rule applied)',
        tags: ['computers'],
        params: { type: 'object', required: ['computerId'], properties: computerParam },
        response: {
          200: {
            ...computerSchema,
            properties: {
              ...computerSchema.properties,
              effectiveApprovals: { type: 'array', items: openObject },
            },
          },
          ...problems(403, 404),
        },
      },
    },
    async (req) => services.computers.show(req.params.computerId),
  );

  app.post<{ Params: { computerId: string }; Body: { groups: string[] } }>(
    '/api/v1/computers/:computerId/move',
    {
      config: { permission: 'fleet:write' },
      schema: {
        summary: 'Move a computer: its server-side groups become exactly `groups`',
        tags: ['computers'],
        params: { type: 'object', required: ['computerId'], properties: computerParam },
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['groups'],
          properties: {
            groups: {
              type: 'array',
              minItems: 1,
              maxItems: 64,
              items: { type: 'string', minLength: 1, maxLength: 256 },
            },
          },
        },
        response: { 200: groupsOfComputer, ...problems(403, 404, 409) },
      },
    },
    async (req) => ({
      groupIds: await services.computers.move(req.params.computerId, req.body.groups, actorOf(req)),
    }),
  );

  app.post<{ Body: { days: number; dryRun?: boolean } }>(
    '/api/v1/computers/remove-stale',
    {
      config: { permission: 'fleet:write' },
      schema: {
        summary: 'Remove computers that have not contacted the server for `days` days',
        tags: ['computers'],
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['days'],
          properties: { days: { type: 'integer', minimum: 1, maximum: 36500 }, dryRun: { type: 'boolean' } },
        },
        response: {
          200: {
            type: 'object',
            properties: { dryRun: { type: 'boolean' }, removed: { type: 'array', items: computerSchema } },
          },
          ...problems(403),
        },
      },
    },
    async (req) =>
      services.computers.removeStale(req.body.days, { dryRun: req.body.dryRun === true }, actorOf(req)),
  );

  // The parameter keeps the name of the other /computers/:computerId routes (one router node), but here it may
  // also be a DNS name, like `patchbay computers remove`.
  app.delete<{ Params: { computerId: string }; Querystring: { dryRun?: boolean } }>(
    '/api/v1/computers/:computerId',
    {
      config: { permission: 'fleet:write' },
      schema: {
        summary: 'Remove one computer (by id or DNS name); it registers again on its next scan',
        tags: ['computers'],
        params: {
          type: 'object',
          required: ['computerId'],
          properties: {
            computerId: {
              type: 'string',
              minLength: 1,
              maxLength: 255,
              description: 'Computer id or DNS name.',
            },
          },
        },
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { dryRun: { type: 'boolean' } },
        },
        response: {
          200: {
            type: 'object',
            properties: { dryRun: { type: 'boolean' }, removed: computerSchema },
          },
          ...problems(400, 403, 404),
        },
      },
    },
    async (req) =>
      services.computers.remove(req.params.computerId, { dryRun: req.query.dryRun === true }, actorOf(req)),
  );
}
