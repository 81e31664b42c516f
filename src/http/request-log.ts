/**
 * One log line per HTTP request, instead of fastify's two info lines ("incoming request", "request completed"):
 * a Windows client's scan is dozens of requests, so at info they drown everything else. Without the access log
 * the line is at debug; with `[log] access_log = on` it is at info in the combined log format web servers
 * write, so existing log tooling reads it.
 */
import { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';

/** Longest request target or user agent written; a request line can be 16 KiB of anything. */
const maxFieldChars = 1024;

const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * fastify's own per-request lines off (this module writes the one line instead); errors it logs for a request
 * (failed responses, stream errors) stay.
 */
class OneLinePerRequest extends LogController {
  override incomingRequest(): void {}
  override routeNotFound(): void {}
  override requestCompleted(
    error: Error | null | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
    metadata?: Record<string, unknown>,
  ): void {
    if (error) super.requestCompleted(error, request, reply, metadata);
  }
}

/** Options for `Fastify(...)`; one controller per server. */
export function requestLogFastifyOptions(): { logController: LogController } {
  return { logController: new OneLinePerRequest() };
}

export function registerRequestLog(app: FastifyInstance, options: { accessLog: boolean }): void {
  app.addHook('onResponse', (request, reply, done) => {
    if (options.accessLog) {
      request.log.info({ responseTimeMs: Math.round(reply.elapsedTime) }, combinedLogLine(request, reply));
    } else {
      request.log.debug(
        {
          method: request.method,
          url: clip(request.raw.url ?? ''),
          statusCode: reply.statusCode,
          responseTimeMs: Math.round(reply.elapsedTime),
        },
        'request completed',
      );
    }
    done();
  });
}

/** `host - - [10/Oct/2026:13:55:36 +0000] "GET /x HTTP/1.1" 200 2326 "referer" "user agent"` */
export function combinedLogLine(request: FastifyRequest, reply: FastifyReply, now = new Date()): string {
  const length = reply.getHeader('content-length');
  const bytes = typeof length === 'number' || typeof length === 'string' ? String(length) : '-';
  const requestLine = `${request.method} ${clip(request.raw.url ?? '')} HTTP/${request.raw.httpVersion}`;
  return [
    request.ip,
    '-',
    '-',
    `[${clfDate(now)}]`,
    quoted(requestLine),
    String(reply.statusCode),
    bytes,
    quoted(headerText(request.headers.referer)),
    quoted(headerText(request.headers['user-agent'])),
  ].join(' ');
}

function clfDate(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getUTCDate())}/${months[d.getUTCMonth()]}/${d.getUTCFullYear()}:${p(d.getUTCHours())}:${p(
    d.getUTCMinutes(),
  )}:${p(d.getUTCSeconds())} +0000`;
}

function headerText(v: string | string[] | undefined): string {
  return v === undefined ? '-' : clip(Array.isArray(v) ? v.join(', ') : v);
}

function clip(s: string): string {
  return s.length > maxFieldChars ? `${s.slice(0, maxFieldChars)}...` : s;
}

/** Quotes and escapes: a client-chosen quote or newline must not forge a second log line or field. */
function quoted(s: string): string {
  return JSON.stringify(s);
}
