/**
 * Bearer-token authentication and the per-route permission check. A route declares the permission it needs
 * in `config.permission`; routes with `config.public` (the OpenAPI document) need no token.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  rolesAllow,
  type AuthenticatedToken,
  type Permission,
  type TokenService,
} from '../../admin/index.js';
import { AppError } from '../../errors.js';
import type { AdminActor } from '../../fleet/index.js';
import { sendProblem } from './problem.js';

export interface AdminRouteConfig {
  /** Needed permission; undefined = any valid token. */
  permission?: Permission;
  public?: boolean;
}

const tokenKey = Symbol('patchbay.adminToken');
type WithToken = FastifyRequest & { [tokenKey]?: AuthenticatedToken };

export function registerAuth(app: FastifyInstance, tokens: TokenService): void {
  app.addHook('onRequest', async (request, reply) => {
    const config = (request.routeOptions.config ?? {}) as AdminRouteConfig;
    if (config.public === true) return;
    try {
      const token = await tokens.authenticate(request.headers.authorization);
      (request as WithToken)[tokenKey] = token;
      if (config.permission !== undefined && !rolesAllow(token.roles, config.permission))
        throw new AppError(
          'PB_ERR_FORBIDDEN',
          `token ${token.name} (${token.roles.join(', ')}) lacks ${config.permission}`,
          {
            detail: { permission: config.permission, roles: token.roles },
          },
        );
    } catch (e) {
      if (e instanceof AppError) {
        if (e.code === 'PB_ERR_UNAUTHENTICATED')
          void reply.header('www-authenticate', 'Bearer realm="patchbay"');
        return sendProblem(reply, request, e);
      }
      throw e;
    }
  });
}

export function tokenOf(request: FastifyRequest): AuthenticatedToken {
  const t = (request as WithToken)[tokenKey];
  if (t === undefined) throw new AppError('PB_ERR_UNAUTHENTICATED', 'not authenticated');
  return t;
}

/** API changes are audited under the token's name. */
export function actorOf(request: FastifyRequest): AdminActor {
  return { via: 'api', name: tokenOf(request).name };
}
