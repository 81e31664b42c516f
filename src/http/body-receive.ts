/**
 * Receiving request bodies on the client ports without letting slow or large senders hold the server
 * (issue 10 item 2: 256 connections dripping one byte every 15 s once locked every client out, and 20 nearly
 * complete 16 MiB bodies held ~300 MiB). Three bounds, each with its own answer:
 *
 * - a deadline for the whole body and a minimum average rate (after a short grace): a body that misses
 *   either is answered 408 and its connection closed;
 * - a budget of bytes buffered across all requests of the port: a body that would not fit (its announced
 *   Content-Length is reserved up front, chunked bodies reserve as they arrive) is answered ServerBusy (503),
 *   the WSUS overload answer, before more of it is read;
 * - the per-request body limit (413).
 *
 * Bodies still arriving do not count toward the concurrency cap (concurrency-limit.ts), so they cannot
 * starve it; these bounds are what limits them instead.
 */
import type { IncomingMessage } from 'node:http';
import { AppError } from '../errors.js';

/** The rate is checked only after this long (or the deadline, if shorter): TCP slow start, a first RTT. */
const rateGraceMs = 5000;

/** Bytes reserved for request bodies across one server; a reservation is released when its response closes. */
export class BodyBudget {
  #used = 0;
  constructor(readonly maxBytes: number) {}

  get usedBytes(): number {
    return this.#used;
  }

  tryReserve(bytes: number): boolean {
    if (this.#used + bytes > this.maxBytes) return false;
    this.#used += bytes;
    return true;
  }

  release(bytes: number): void {
    this.#used = Math.max(0, this.#used - bytes);
  }
}

/** What one request holds of the budget; the route releases it when the response closes. */
export interface BodyReservation {
  bytes: number;
}

export interface BodyReceiveOptions {
  readonly limitBytes: number;
  readonly timeoutMs: number;
  /** 0 = no rate check. */
  readonly minBytesPerSecond: number;
  readonly budget: BodyBudget;
}

/** An HTTP-level refusal the SOAP error handler turns into its answer (413 fault, 408, 503 ServerBusy). */
export class BodyRefused extends Error {
  constructor(
    readonly statusCode: 408 | 413,
    message: string,
  ) {
    super(message);
  }
}

const busy = (): AppError =>
  new AppError('PB_ERR_SERVER_BUSY', 'request bodies in memory reached server.max_buffered_request_bytes');

/**
 * Reads the whole body of `req` into one Buffer under the bounds above. `reservation` accumulates what was
 * reserved from the budget; the caller releases it (also when this rejects).
 */
export function receiveBody(
  req: IncomingMessage,
  opts: BodyReceiveOptions,
  reservation: BodyReservation,
): Promise<Buffer> {
  const declared = req.headers['content-length'];
  const length = declared === undefined ? undefined : Number(declared);
  if (length !== undefined && length > opts.limitBytes)
    return Promise.reject(new BodyRefused(413, 'request body exceeds the limit'));
  if (length !== undefined) {
    if (!opts.budget.tryReserve(length)) return Promise.reject(busy());
    reservation.bytes += length;
  }
  const started = performance.now();
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    const finish = (error: Error | undefined): void => {
      clearInterval(timer);
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('aborted', onAborted);
      if (error === undefined) resolve(Buffer.concat(chunks, received));
      else {
        // Stop reading: whatever else arrives is not buffered (the answer closes the connection).
        req.pause();
        reject(error);
      }
    };
    const onData = (chunk: Buffer): void => {
      received += chunk.length;
      if (received > opts.limitBytes) return finish(new BodyRefused(413, 'request body exceeds the limit'));
      if (length === undefined) {
        if (!opts.budget.tryReserve(chunk.length)) return finish(busy());
        reservation.bytes += chunk.length;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => finish(undefined);
    const onError = (e: Error): void => finish(e);
    const onAborted = (): void => finish(new Error('request aborted by the client'));
    const graceMs = Math.min(rateGraceMs, opts.timeoutMs);
    const timer = setInterval(
      () => {
        const elapsedMs = performance.now() - started;
        if (elapsedMs >= opts.timeoutMs)
          return finish(new BodyRefused(408, 'request body not complete within the deadline'));
        if (
          opts.minBytesPerSecond > 0 &&
          elapsedMs >= graceMs &&
          received < (opts.minBytesPerSecond * elapsedMs) / 1000
        )
          finish(new BodyRefused(408, 'request body arrives slower than the minimum rate'));
      },
      Math.max(50, Math.min(1000, opts.timeoutMs / 8)),
    );
    timer.unref();
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('aborted', onAborted);
  });
}
