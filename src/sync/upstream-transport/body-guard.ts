import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { AppError } from '../../errors.js';

/**
 * Defences for reading an untrusted upstream body, besides undici's own body idle timeout (no byte for N ms):
 * - a hard byte limit: the read is aborted the moment it is exceeded, nothing beyond it is buffered;
 * - a minimum transfer rate over a sliding window: a "slow drip" server that sends one byte just before every
 *   idle timeout would otherwise hold a sync run (and a socket) forever.
 */
export interface MinRate {
  /** At least this many bytes must arrive in every window... */
  bytes: number;
  /** ...of this many ms. */
  windowMs: number;
}

export interface BodyLimits {
  maxBytes: number;
  minRate: MinRate | undefined;
  /** For error messages and details. */
  url: string;
}

function tooLarge(limits: BodyLimits, seen: number): AppError {
  return new AppError(
    'PB_ERR_UPSTREAM_TOO_LARGE',
    `upstream response from ${limits.url} exceeds ${limits.maxBytes} bytes`,
    {
      detail: { url: limits.url, maxBytes: limits.maxBytes, receivedAtLeast: seen },
    },
  );
}

function tooSlow(limits: BodyLimits, rate: MinRate, got: number): AppError {
  return new AppError(
    'PB_ERR_UPSTREAM_TIMEOUT',
    `upstream response from ${limits.url} is too slow: ${got} bytes in ${rate.windowMs} ms (minimum ${rate.bytes})`,
    {
      detail: {
        url: limits.url,
        phase: 'body-rate',
        bytesInWindow: got,
        minBytes: rate.bytes,
        windowMs: rate.windowMs,
      },
    },
  );
}

/**
 * Checks the byte count once per window. `consumerIsBehind` lets a streaming reader say "the bytes are there,
 * my consumer is not taking them" so backpressure is never blamed on the upstream.
 */
function startRateGuard(
  rate: MinRate | undefined,
  onViolation: (bytesInWindow: number) => void,
  consumerIsBehind: () => boolean,
): { add(n: number): void; stop(): void } {
  if (rate === undefined) return { add: () => undefined, stop: () => undefined };
  let inWindow = 0;
  const timer = setInterval(() => {
    const got = inWindow;
    inWindow = 0;
    if (got < rate.bytes && !consumerIsBehind()) onViolation(got);
  }, rate.windowMs);
  timer.unref();
  return {
    add: (n) => {
      inWindow += n;
    },
    stop: () => clearInterval(timer),
  };
}

/**
 * Reads a whole body into one Buffer under the limits. `mapError` turns transport errors into AppErrors.
 * With `consume`, each chunk goes to it instead of being kept (a decoder that holds what it needs), and the
 * result is empty; an error `consume` throws ends the read and is rethrown as it is.
 */
export async function readBodyBounded(
  body: Readable,
  limits: BodyLimits,
  mapError: (e: unknown) => unknown,
  consume?: (chunk: Buffer) => void,
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  let violation: AppError | undefined;
  const guard = startRateGuard(
    limits.minRate,
    (got) => {
      violation = tooSlow(limits, limits.minRate as MinRate, got);
      body.destroy(violation);
    },
    () => false,
  );
  try {
    for await (const chunk of body) {
      const buf = chunk as Buffer;
      total += buf.length;
      if (total > limits.maxBytes) {
        violation = tooLarge(limits, total);
        body.destroy(violation);
        throw violation;
      }
      guard.add(buf.length);
      if (consume === undefined) chunks.push(buf);
      else {
        try {
          consume(buf);
        } catch (e) {
          violation = e instanceof AppError ? e : undefined;
          body.destroy();
          throw e;
        }
      }
    }
  } catch (e) {
    throw violation ?? mapError(e);
  } finally {
    guard.stop();
  }
  return consume === undefined ? Buffer.concat(chunks, total) : Buffer.alloc(0);
}

/**
 * A pass-through stream for large downloads: enforces `maxBytes` and the minimum rate, and re-types errors
 * of the source (undici) stream. Destroying it destroys the source, which frees the connection.
 */
export function guardStream(
  source: Readable,
  limits: BodyLimits,
  mapError: (e: unknown) => unknown,
): Readable {
  let total = 0;
  const out: Transform = new Transform({
    transform(chunk: Buffer, _enc, cb: TransformCallback) {
      total += chunk.length;
      if (total > limits.maxBytes) {
        cb(tooLarge(limits, total));
        return;
      }
      guard.add(chunk.length);
      cb(null, chunk);
    },
    destroy(err, cb) {
      guard.stop();
      if (!source.destroyed) {
        // undici signals an early destroy as an 'error' event; it is expected here.
        source.on('error', () => undefined);
        source.destroy();
      }
      cb(err);
    },
    flush(cb) {
      guard.stop();
      cb();
    },
  });
  const guard = startRateGuard(
    limits.minRate,
    (got) => out.destroy(tooSlow(limits, limits.minRate as MinRate, got)),
    // Bytes waiting in our buffers mean the reader is slower than the upstream, not the other way round.
    () => out.readableLength > 0 || out.writableLength > 0 || source.readableLength > 0,
  );
  source.on('error', (e) => out.destroy(mapError(e) as Error));
  // The guard may fail the stream before anyone reads it (the consumer opens its file first, while pipe()
  // already pushes the first 32 KiB through the transform). pipe() re-emits a dest 'error' nobody listens
  // to, which ends the process; the error is kept in the stream's state and a reader attaching later
  // (async iteration, finished()) still receives it.
  out.on('error', () => undefined);
  source.pipe(out);
  return out;
}
