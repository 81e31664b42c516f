/**
 * RFC 9457 problem details for the REST API. Every failure, including fastify's own (validation, body
 * parsing, unknown route), leaves as `application/problem+json` with a stable `code` from the catalogue.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, errorCatalogue, isAppError, type ErrorCode } from '../../errors.js';

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
  code: ErrorCode;
  context?: Record<string, unknown>;
}

export const problemContentType = 'application/problem+json';

export function problemFor(error: AppError, instance: string): Problem {
  return {
    type: `urn:patchbay:error:${error.code}`,
    title: errorCatalogue[error.code].title,
    status: error.status,
    detail: error.message,
    instance,
    code: error.code,
    ...(error.detail !== undefined ? { context: { ...error.detail } } : {}),
  };
}

export function sendProblem(reply: FastifyReply, request: FastifyRequest, error: AppError): FastifyReply {
  return reply
    .code(error.status)
    .header('content-type', problemContentType)
    .header('cache-control', 'no-store')
    .send(JSON.stringify(problemFor(error, request.url.split('?')[0] ?? request.url)));
}

/** Maps anything thrown in the API scope to a problem; 5xx details stay in the log. */
export function registerProblemHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | Error, request, reply) => {
    if (isAppError(error)) {
      if (error.status >= 500) request.log.error({ err: error }, 'request failed');
      else request.log.info({ code: error.code, msg: error.message }, 'request rejected');
      return sendProblem(reply, request, error);
    }
    const fe = error as FastifyError;
    if (fe.validation !== undefined) {
      const first = fe.validation[0];
      const where = fe.validationContext ?? 'request';
      const path = first?.instancePath ? first.instancePath.replace(/^\//, '').replace(/\//g, '.') : '';
      const missing = (first?.params as { missingProperty?: string } | undefined)?.missingProperty;
      const extra = (first?.params as { additionalProperty?: string } | undefined)?.additionalProperty;
      const parameter = missing ?? extra ?? (path || where);
      // An enum miss names the accepted values, so a typo (`approval=aproved`) says what to write instead.
      const allowed = (first?.params as { allowedValues?: unknown[] } | undefined)?.allowedValues;
      const hint = extra ? ` (${extra})` : allowed ? ` (one of ${allowed.map(String).join(', ')})` : '';
      const message = `${where}${path ? `.${path}` : ''} ${first?.message ?? 'is invalid'}${hint}`;
      return sendProblem(
        reply,
        request,
        new AppError('PB_ERR_INVALID_PARAMETER', message, { detail: { parameter, in: where } }),
      );
    }
    const status = fe.statusCode;
    if (status !== undefined && status >= 400 && status < 500) {
      const code: ErrorCode =
        status === 401
          ? 'PB_ERR_UNAUTHENTICATED'
          : status === 403
            ? 'PB_ERR_FORBIDDEN'
            : status === 404
              ? 'PB_ERR_NOT_FOUND'
              : 'PB_ERR_INVALID_PARAMETER';
      const e = new AppError(code, error.message);
      request.log.info({ code: fe.code, msg: error.message }, 'request rejected');
      return reply
        .code(status)
        .header('content-type', problemContentType)
        .send(JSON.stringify({ ...problemFor(e, request.url.split('?')[0] ?? ''), status }));
    }
    request.log.error({ err: error }, 'unexpected error');
    return sendProblem(reply, request, new AppError('PB_ERR_INTERNAL', 'internal error'));
  });
  app.setNotFoundHandler((request, reply) =>
    sendProblem(
      reply,
      request,
      new AppError('PB_ERR_NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`),
    ),
  );
}
