import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { SessionService, SessionView } from '../../admin/index.js';
import { AppError } from '../../errors.js';
import { sessionCookie, sessionIdOf } from './auth.js';
import { problems } from './schemas.js';

const sessionSchema = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    roles: { type: 'array', items: { type: 'string' } },
    csrfToken: {
      type: 'string',
      description: 'Send as `x-csrf-token` with every change made with the cookie.',
    },
    expiresAt: { type: 'integer', description: 'Epoch milliseconds.' },
  },
} as const;

/** HttpOnly (no script reads it), SameSite=Strict, Secure when the console is reached over HTTPS. */
function cookieHeader(request: FastifyRequest, value: string, maxAgeSeconds: number): string {
  const https = request.protocol === 'https' || request.headers['x-forwarded-proto'] === 'https';
  return `${sessionCookie}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}${https ? '; Secure' : ''}`;
}

function send(reply: FastifyReply, view: SessionView): FastifyReply {
  return reply.header('cache-control', 'no-store').send(view);
}

/** Console sign-in: an API token exchanged for a session cookie; sign-out; the current session. */
export function registerSessionRoutes(app: FastifyInstance, sessions: SessionService): void {
  app.post<{ Body: { token: string } }>(
    '/api/v1/session',
    {
      config: { public: true },
      schema: {
        summary: 'Sign in to the console: exchange an API token for a session cookie',
        tags: ['meta'],
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['token'],
          properties: { token: { type: 'string', minLength: 1, maxLength: 200 } },
        },
        response: { 201: sessionSchema, ...problems() },
      },
    },
    async (req, reply) => {
      const { sessionId, view } = await sessions.signIn(req.body.token.trim());
      const maxAge = Math.floor((view.expiresAt - Date.now()) / 1000);
      return send(reply.code(201).header('set-cookie', cookieHeader(req, sessionId, maxAge)), view);
    },
  );

  app.get(
    '/api/v1/session',
    {
      schema: {
        summary: 'The console session of the cookie: name, roles, CSRF token, expiry',
        tags: ['meta'],
        response: { 200: sessionSchema, ...problems() },
      },
    },
    async (req, reply) => {
      const id = sessionIdOf(req);
      if (id === undefined || req.headers.authorization !== undefined)
        throw new AppError('PB_ERR_NOT_FOUND', 'this request uses a bearer token, not a console session');
      return send(reply, (await sessions.authenticate(id)).view);
    },
  );

  app.delete(
    '/api/v1/session',
    {
      schema: {
        summary: 'Sign out of the console (ends the session everywhere)',
        tags: ['meta'],
        response: { 204: { type: 'null' }, ...problems() },
      },
    },
    async (req, reply) => {
      const id = sessionIdOf(req);
      if (id !== undefined) await sessions.signOut(id);
      return reply
        .code(204)
        .header('set-cookie', cookieHeader(req, '', 0))
        .send();
    },
  );
}
