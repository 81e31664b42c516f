/**
 * The HTTP mapping of errors, once for every server: AppError -> its catalogue status and code;
 * fastify's own client errors (body too large, bad content type) keep their 4xx; anything else is a
 * PB_ERR_INTERNAL 500 whose details stay in the log. Front ends with their own wire shape (SOAP faults,
 * problem+json) register a more specific handler in their plugin scope.
 */
import type { FastifyError, FastifyInstance } from 'fastify';
import { isAppError } from '../errors.js';

export function registerErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | Error, request, reply) => {
    if (isAppError(error)) {
      if (error.status >= 500) request.log.error({ err: error }, 'request failed');
      else request.log.info({ code: error.code, msg: error.message }, 'request rejected');
      return reply.code(error.status).send({ code: error.code, message: error.message });
    }
    const status = (error as FastifyError).statusCode;
    if (status !== undefined && status >= 400 && status < 500) {
      request.log.info({ code: (error as FastifyError).code, msg: error.message }, 'request rejected');
      return reply.code(status).send({ code: 'PB_ERR_INVALID_PARAMETER', message: error.message });
    }
    request.log.error({ err: error }, 'unexpected error');
    return reply.code(500).send({ code: 'PB_ERR_INTERNAL', message: 'internal error' });
  });
}
