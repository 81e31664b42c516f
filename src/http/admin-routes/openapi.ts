/**
 * The OpenAPI 3.1 document, generated from the routes fastify actually registered (an onRoute hook records
 * each route's method, URL, JSON schemas and permission), so every route is described by construction and
 * the test only has to prove nothing was skipped.
 */
import type { FastifyInstance, RouteOptions } from 'fastify';
import { rolePermissions, roles } from '../../admin/index.js';
import type { AdminRouteConfig } from './auth.js';
import { problemSchema } from './schemas.js';

interface RecordedRoute {
  method: string;
  url: string;
  schema: Record<string, unknown>;
  config: AdminRouteConfig;
}

export class OpenApiRecorder {
  readonly routes: RecordedRoute[] = [];

  /** `summaries`: texts for routes registered elsewhere without a schema (the health probes). */
  constructor(private readonly summaries: Readonly<Record<string, string>> = {}) {}

  /** Install before the routes are registered (same scope or a parent). */
  attach(app: FastifyInstance): void {
    app.addHook('onRoute', (route: RouteOptions) => {
      // The console's static files are not API (config.openapi false).
      if ((route.config as { openapi?: boolean } | undefined)?.openapi === false) return;
      const methods = Array.isArray(route.method) ? route.method : [route.method];
      for (const m of methods) {
        if (m === 'HEAD' || m === 'OPTIONS') continue;
        this.routes.push({
          method: m.toLowerCase(),
          url: route.url,
          schema: (route.schema ?? {}) as Record<string, unknown>,
          config: route.config ?? {},
        });
      }
    });
  }

  document(info: { version: string }): Record<string, unknown> {
    const paths: Record<string, Record<string, unknown>> = {};
    for (const r of this.routes) {
      const path = r.url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
      const s = r.schema;
      const parameters: unknown[] = [];
      for (const [where, key] of [
        ['path', 'params'],
        ['query', 'querystring'],
      ] as const) {
        const obj = s[key] as
          { properties?: Record<string, { description?: string }>; required?: string[] } | undefined;
        for (const [name, schema] of Object.entries(obj?.properties ?? {}))
          parameters.push({
            name,
            in: where,
            required: where === 'path' || (obj?.required ?? []).includes(name),
            ...(schema.description ? { description: schema.description } : {}),
            schema,
          });
      }
      const responses: Record<string, unknown> = {};
      for (const [status, schema] of Object.entries((s.response ?? {}) as Record<string, unknown>)) {
        const isProblem = (schema as { $ref?: string }).$ref === 'Problem#';
        responses[status] = {
          description: isProblem ? 'Problem' : 'Success',
          content: {
            [isProblem ? 'application/problem+json' : 'application/json']: {
              schema: isProblem ? { $ref: '#/components/schemas/Problem' } : schema,
            },
          },
        };
      }
      if (Object.keys(responses).length === 0) responses['200'] = { description: 'OK' };
      const op: Record<string, unknown> = {
        operationId: `${r.method}${path.replace(/[{}]/g, '').replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ?? '').toUpperCase())}`,
        summary: s.summary ?? this.summaries[r.url],
        ...(s.description ? { description: s.description } : {}),
        tags: s.tags ?? (r.config.permission === undefined && this.summaries[r.url] ? ['health'] : []),
        parameters,
        responses,
        ...(r.config.public === true || this.summaries[r.url] !== undefined
          ? { security: [] }
          : { security: [{ bearer: [] }] }),
        ...(r.config.permission ? { 'x-permission': r.config.permission } : {}),
      };
      if (s.body !== undefined)
        op.requestBody = { required: true, content: { 'application/json': { schema: s.body } } };
      (paths[path] ??= {})[r.method] = op;
    }
    return {
      openapi: '3.1.0',
      info: {
        title: 'Patchbay admin API',
        version: info.version,
        description:
          'Groups, approvals, declines, automatic rules, computers, audit and tokens. Authenticate with ' +
          '`Authorization: Bearer <token>` (create one with `patchbay tokens create`). Errors are RFC 9457 problem ' +
          'documents with a stable `code`. Roles: ' +
          roles.map((r) => `${r} (${rolePermissions[r].join(', ')})`).join('; '),
      },
      servers: [{ url: '/' }],
      components: {
        securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
        schemas: { Problem: stripId(problemSchema) },
      },
      paths,
    };
  }
}

function stripId(s: Record<string, unknown>): Record<string, unknown> {
  const { $id: _id, ...rest } = s;
  return rest;
}

// Route schemas carry their OpenAPI texts and routes their permission (typed for every route definition).
declare module 'fastify' {
  interface FastifySchema {
    summary?: string;
    description?: string;
    tags?: readonly string[];
  }
  interface FastifyContextConfig {
    permission?: import('../../admin/index.js').Permission;
    public?: boolean;
  }
}
