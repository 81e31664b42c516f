import type { FastifyInstance } from 'fastify';
import type { AdminServices } from '../../admin/index.js';
import { actorOf } from './auth.js';
import { problems } from './schemas.js';

const nullable = (type: string) => ({ type: [type, 'null'] }) as const;

const downstreamSchema = {
  type: 'object',
  additionalProperties: true,
  properties: {
    serverId: { type: 'string', description: 'The accountGuid it authenticates with.' },
    name: { type: 'string', description: 'The accountName (FQDN) it sent.' },
    address: nullable('string'),
    userAgent: { ...nullable('string'), description: 'HTTP User-Agent of its last authorization.' },
    protocolVersion: { ...nullable('string'), description: 'The protocolVersion it announced in GetCookie.' },
    firstSeenAt: { type: 'integer', description: 'Epoch milliseconds.' },
    lastAuthAt: { type: 'integer' },
    lastSyncAt: { ...nullable('integer'), description: 'Its last GetRevisionIdList or GetUpdateData.' },
    syncCalls: { type: 'integer' },
    computers: {
      type: 'integer',
      description: 'Computers it rolled up (its whole subtree), as of its last roll-up.',
    },
    lastRollupAt: { ...nullable('integer'), description: 'Its last reporting roll-up call (epoch ms).' },
    servers: {
      type: 'array',
      description: 'The servers its roll-up reported: itself and the servers below it, any depth.',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['serverId', 'parentServerId', 'isReplica'],
        properties: {
          serverId: { type: 'string' },
          name: nullable('string'),
          parentServerId: { type: 'string', description: 'This server id for the downstream itself.' },
          version: nullable('string'),
          isReplica: { type: 'boolean' },
          lastSyncAt: nullable('integer'),
          lastRollupAt: nullable('integer'),
          summary: {
            type: ['object', 'null'],
            description:
              'The 18 ServerSummary counters of MS-WSUSSS (UpdateCount, ComputerTargetCount, ...).',
            additionalProperties: { type: 'integer' },
          },
        },
      },
    },
  },
} as const;

const downstreamParam = {
  type: 'object',
  required: ['downstream'],
  properties: {
    downstream: { type: 'string', minLength: 1, maxLength: 256, description: 'Server id or name.' },
  },
} as const;

/** The downstream servers registry of the upstream role (docs/upstream.md). */
export function registerDownstreamRoutes(app: FastifyInstance, services: AdminServices): void {
  app.get(
    '/api/v1/downstreams',
    {
      config: { permission: 'catalog:read' },
      schema: {
        summary: 'List the downstream servers that synchronize from this server',
        tags: ['downstreams'],
        response: {
          200: {
            type: 'object',
            required: ['items'],
            properties: { items: { type: 'array', items: downstreamSchema } },
          },
          ...problems(403),
        },
      },
    },
    async () => services.downstreams.list(),
  );

  app.get<{ Params: { downstream: string } }>(
    '/api/v1/downstreams/:downstream',
    {
      config: { permission: 'catalog:read' },
      schema: {
        summary: 'One downstream server, by id or name',
        tags: ['downstreams'],
        params: downstreamParam,
        response: { 200: downstreamSchema, ...problems(403, 409) },
      },
    },
    async (req) => services.downstreams.show(req.params.downstream),
  );

  app.delete<{ Params: { downstream: string } }>(
    '/api/v1/downstreams/:downstream',
    {
      config: { permission: 'fleet:write' },
      schema: {
        summary:
          'Remove a downstream server from the registry (it reappears at its next sync unless refused)',
        tags: ['downstreams'],
        params: downstreamParam,
        response: { 200: downstreamSchema, ...problems(403, 409) },
      },
    },
    async (req) => services.downstreams.remove(req.params.downstream, actorOf(req)),
  );
}
