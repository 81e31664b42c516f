/**
 * Bearer-token authentication and the per-route permission check. A route declares the permission it needs
 * in `config.permission`; routes with `config.public` (the OpenAPI document) need no token.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  csrfMatches,
  rolesAllow,
  type SessionService,
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
  /** false: not described in /openapi.json (the console's static files). */
  openapi?: boolean;
}

const tokenKey = Symbol('patchbay.adminToken');
type WithToken = FastifyRequest & { [tokenKey]?: AuthenticatedToken };

/** The console's session cookie (docs/console.md "Sign-in"). */
export const sessionCookie = 'pb_session';

/** The cookie value, when the request carries one. */
export function sessionIdOf(request: FastifyRequest): string | undefined {
  const header = request.headers.cookie;
  if (header === undefined) return undefined;
  for (const part of header.slice(0, 8192).split(';')) {
    const [k, v] = part.trim().split('=', 2);
    if (k === sessionCookie && v !== undefined && v !== '') return v;
  }
  return undefined;
}

const safeMethods = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * A bearer token wins over a cookie (scripts are unaffected by the console). With the cookie alone, every
 * change must carry the session's CSRF token in `x-csrf-token`: a cross-site form or fetch can send the
 * cookie (old browsers ignore SameSite) but cannot read the token.
 */
async function authenticateRequest(
  request: FastifyRequest,
  tokens: TokenService,
  sessions: SessionService | undefined,
): Promise<AuthenticatedToken> {
  const sessionId = sessionIdOf(request);
  if (request.headers.authorization !== undefined || sessions === undefined || sessionId === undefined)
    return tokens.authenticate(request.headers.authorization);
  const { token, view } = await sessions.authenticate(sessionId);
  if (!safeMethods.has(request.method)) {
    const sent = request.headers['x-csrf-token'];
    if (!csrfMatches(typeof sent === 'string' ? sent : undefined, view.csrfToken))
      throw new AppError(
        'PB_ERR_FORBIDDEN',
        'a change made with the console session needs its CSRF token (x-csrf-token): reload the console',
        { detail: { reason: 'csrf' } },
      );
  }
  return token;
}

export function registerAuth(app: FastifyInstance, tokens: TokenService, sessions?: SessionService): void {
  app.addHook('onRequest', async (request, reply) => {
    const config = (request.routeOptions.config ?? {}) as AdminRouteConfig;
    if (config.public === true) return;
    try {
      const token = await authenticateRequest(request, tokens, sessions);
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
