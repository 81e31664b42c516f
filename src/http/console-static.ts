/**
 * The web console (docs/console.md): the files `vite build` wrote to dist/console, served by the admin port
 * only (never the client ports), with an SPA fallback for the console's own paths that never answers for
 * the API, metrics or health paths. Security headers go on every admin answer.
 */
import { existsSync, readFileSync } from 'node:fs';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';

/** No inline script or style, no framing, nothing fetched from elsewhere. */
export const consoleCsp =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
const apiCsp = "default-src 'none'; frame-ancestors 'none'";

const reserved = ['/api/', '/metrics', '/healthz', '/readyz', '/openapi.json'];

const types: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.ico': 'image/x-icon',
};

/** dist/console next to the compiled server (dist/http/..), or the built one when running from src/. */
export function defaultConsoleDir(): string {
  const compiled = fileURLToPath(new URL('../console/', import.meta.url));
  if (existsSync(join(compiled, 'index.html'))) return compiled;
  return fileURLToPath(new URL('../../dist/console/', import.meta.url));
}

export function registerSecurityHeaders(app: FastifyInstance): void {
  app.addHook('onSend', async (_req, reply, payload) => {
    const html = String(reply.getHeader('content-type') ?? '').startsWith('text/html');
    void reply
      .header('content-security-policy', html ? consoleCsp : apiCsp)
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer')
      .header('x-frame-options', 'DENY');
    return payload;
  });
}

export function registerConsole(app: FastifyInstance, dir: string): void {
  const root = normalize(dir.endsWith(sep) ? dir : dir + sep);
  const indexFile = join(root, 'index.html');
  const built = existsSync(indexFile);
  // Hashed asset names never change content: cache them for a year; index.html is revalidated.
  app.get('/*', { config: { public: true, openapi: false } }, async (req, reply) => {
    const path = decodeURIComponent(req.url.split('?', 1)[0] ?? '/');
    if (reserved.some((p) => path === p.replace(/\/$/, '') || path.startsWith(p)))
      return reply.callNotFound();
    if (!built)
      return reply
        .code(404)
        .type('text/plain; charset=utf-8')
        .send('The web console is not built: run `npm run build` (it writes dist/console).\n');
    if (path.startsWith('/assets/')) {
      const file = normalize(join(root, path));
      if (!file.startsWith(root) || !existsSync(file)) return reply.callNotFound();
      return reply
        .type(types[extname(file)] ?? 'application/octet-stream')
        .header('cache-control', 'public, max-age=31536000, immutable')
        .send(readFileSync(file));
    }
    return reply.type(types['.html']!).header('cache-control', 'no-cache').send(readFileSync(indexFile));
  });
}
