/**
 * The connector's HTTP client for one target instance, speaking the wire contract (wire-contract.ts):
 * credentials (basic or bearer; only ever in the Authorization header, never logged), TLS options, an
 * explicit proxy (undici ProxyAgent; NO_PROXY-style exclusions with the sync transport's rules), timeouts,
 * and retries with capped, fully jittered exponential backoff on network errors, 408, 429 and 5xx
 * (Retry-After honoured up to the cap). Every contract call is idempotent, so retrying one is safe.
 */
import { readFile } from 'node:fs/promises';
import { Agent, FormData, ProxyAgent, fetch, type Dispatcher } from 'undici';
import type { z } from 'zod';
import { AppError } from '../errors.js';
import type { Logger } from '../observability/index.js';
import { backoffDelay, parseNoProxy, parseRetryAfter } from '../sync/index.js';
import type { ConnectorInstance } from './connector-config.js';
import {
  authorizeAnswerSchema,
  endpoints,
  partAnswerSchema,
  startAnswerSchema,
  stopAnswerSchema,
  type PartFields,
  type StartEvent,
  type StopEvent,
} from './wire-contract.js';

/** Largest answer body read from the target (answers are small JSON objects). */
const maxAnswerBytes = 64 * 1024;
const retryableStatus = new Set([408, 425, 429, 500, 502, 503, 504]);

export interface TargetClientOptions {
  instance: ConnectorInstance;
  logger: Logger;
  userAgent: string;
  /** For tests: the delay function (default: setTimeout) and the random source of the jitter. */
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

export type AuthorizeResult = { authorized: true } | { authorized: false; reason: string };

interface Answer {
  status: number;
  body: unknown;
  headers: Headers;
}

export class TargetClient {
  private readonly dispatcher: Dispatcher;
  private readonly authHeader: string | undefined;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  /** Requests made (including retries), for the run summary. */
  requests = 0;
  retries = 0;
  bytesSent = 0;

  private constructor(
    private readonly options: TargetClientOptions,
    dispatcher: Dispatcher,
  ) {
    this.dispatcher = dispatcher;
    const auth = options.instance.auth;
    this.authHeader =
      auth.kind === 'basic'
        ? `Basic ${Buffer.from(`${auth.username}:${auth.password}`, 'utf8').toString('base64')}`
        : auth.kind === 'bearer'
          ? `Bearer ${auth.token}`
          : undefined;
    this.sleep = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.random = options.random ?? Math.random;
  }

  static async create(options: TargetClientOptions): Promise<TargetClient> {
    const inst = options.instance;
    let ca: Buffer | undefined;
    if (inst.tls.caFile !== '') {
      try {
        ca = await readFile(inst.tls.caFile);
      } catch (e) {
        throw new AppError(
          'PB_ERR_CONFIG_INVALID',
          `instance:${inst.name}.ca_file: ${(e as Error).message}`,
          {
            cause: e,
          },
        );
      }
    }
    const tls = {
      rejectUnauthorized: inst.tls.verify,
      ...(ca ? { ca } : {}),
      timeout: inst.timeouts.connectMs,
    };
    const common = {
      headersTimeout: inst.timeouts.requestMs,
      bodyTimeout: inst.timeouts.requestMs,
      connections: 4,
    };
    const target = new URL(inst.baseUrl);
    const port = Number(target.port) || (target.protocol === 'https:' ? 443 : 80);
    const useProxy =
      inst.proxy !== undefined && !parseNoProxy(inst.proxy.noProxy).matches(target.hostname, port);
    let dispatcher: Dispatcher;
    if (useProxy && inst.proxy) {
      const p = inst.proxy;
      dispatcher = new ProxyAgent({
        uri: p.url,
        ...(p.username !== ''
          ? { token: `Basic ${Buffer.from(`${p.username}:${p.password}`, 'utf8').toString('base64')}` }
          : {}),
        // Plain-http targets are forwarded (absolute-form request line), which every proxy allows; https
        // targets always tunnel with CONNECT.
        proxyTunnel: false,
        requestTls: tls,
        proxyTls: { timeout: inst.timeouts.connectMs },
        ...common,
      });
    } else {
      dispatcher = new Agent({ connect: tls, ...common });
    }
    options.logger.debug(
      { target: inst.baseUrl, proxy: useProxy ? inst.proxy?.url : undefined, auth: inst.auth.kind },
      'connector target client ready',
    );
    return new TargetClient(options, dispatcher);
  }

  async close(): Promise<void> {
    await this.dispatcher.close();
  }

  private url(path: string, query?: Record<string, string>): string {
    const u = new URL(`${this.options.instance.baseUrl}${path}`);
    for (const [k, v] of Object.entries(query ?? {})) u.searchParams.set(k, v);
    return u.toString();
  }

  /** Authorization check: 200 {authorized}, or 403 meaning "not authorized". */
  async authorize(instance: string, group: string): Promise<AuthorizeResult> {
    const a = await this.call(
      'authorize',
      'GET',
      this.url(endpoints.authorize, { instance, group }),
      undefined,
      [403],
    );
    if (a.status === 403) return { authorized: false, reason: reasonOf(a.body) ?? 'refused (HTTP 403)' };
    const body = this.expect('authorize', authorizeAnswerSchema, a);
    return body.authorized ? { authorized: true } : { authorized: false, reason: body.reason ?? 'refused' };
  }

  async start(event: StartEvent): Promise<void> {
    const a = await this.call('start', 'POST', this.url(endpoints.start), () => json(event));
    this.expect('start', startAnswerSchema, a);
  }

  /** Uploads one part; `data` is its bytes (at most part_size), a Buffer or a (file-backed) Blob. */
  async sendPart(fields: PartFields, data: Buffer | Blob, fileName: string): Promise<{ duplicate: boolean }> {
    const a = await this.call('part', 'POST', this.url(endpoints.parts), () => {
      const form = new FormData();
      for (const [k, v] of Object.entries(fields)) form.set(k, v);
      form.set('data', new Blob([data], { type: `${fields.contentType}; charset=utf-8` }), fileName);
      return { body: form, headers: {}, bytes: data instanceof Blob ? data.size : data.length };
    });
    const body = this.expect('part', partAnswerSchema, a);
    return { duplicate: body.duplicate === true };
  }

  /** The stop event; resolves only when the target acknowledged it. */
  async stop(event: StopEvent): Promise<void> {
    const a = await this.call('stop', 'POST', this.url(endpoints.stop), () => json(event));
    this.expect('stop', stopAnswerSchema, a);
  }

  private expect<T>(what: string, schema: z.ZodType<T>, a: Answer): T {
    const r = schema.safeParse(a.body);
    if (!r.success)
      throw new AppError(
        'PB_ERR_CONNECTOR_PROTOCOL',
        `${this.options.instance.name}: the target's ${what} answer does not follow the contract (HTTP ${a.status})`,
        { detail: { instance: this.options.instance.name, call: what, status: a.status } },
      );
    return r.data;
  }

  /**
   * One contract call with retries. `acceptStatus` lists non-2xx statuses the caller handles itself.
   * The body factory runs per attempt (a multipart body can be sent only once).
   */
  private async call(
    what: string,
    method: 'GET' | 'POST',
    url: string,
    body: (() => { body: string | FormData; headers: Record<string, string>; bytes: number }) | undefined,
    acceptStatus: readonly number[] = [],
  ): Promise<Answer> {
    const inst = this.options.instance;
    const log = this.options.logger;
    const policy = { baseDelayMs: inst.retry.baseDelayMs, maxDelayMs: inst.retry.maxDelayMs };
    for (let attempt = 0; ; attempt++) {
      let failure: AppError;
      let retryAfterMs: number | undefined;
      try {
        const b = body?.();
        this.requests++;
        log.trace({ call: what, method, attempt, bytes: b?.bytes ?? 0 }, 'target call');
        const res = await fetch(url, {
          method,
          dispatcher: this.dispatcher,
          headers: {
            accept: 'application/json',
            'user-agent': this.options.userAgent,
            ...(this.authHeader ? { authorization: this.authHeader } : {}),
            ...(b?.headers ?? {}),
          },
          ...(b ? { body: b.body } : {}),
          signal: AbortSignal.timeout(inst.timeouts.requestMs),
          redirect: 'error',
        });
        const parsed = await readAnswer(res);
        if (res.ok || acceptStatus.includes(res.status)) {
          if (b) this.bytesSent += b.bytes;
          return { status: res.status, body: parsed, headers: res.headers };
        }
        const reason = reasonOf(parsed);
        const text = `${inst.name}: ${what} failed: HTTP ${res.status}${reason ? ` (${reason})` : ''}`;
        if (res.status === 401 || res.status === 403) {
          throw new AppError('PB_ERR_CONNECTOR_UNAUTHORIZED', `${text}: check the instance's credentials`, {
            detail: { instance: inst.name, call: what, status: res.status },
          });
        }
        failure = new AppError('PB_ERR_CONNECTOR_TARGET', text, {
          detail: { instance: inst.name, call: what, status: res.status },
        });
        if (!retryableStatus.has(res.status)) throw failure;
        retryAfterMs = parseRetryAfter(res.headers.get('retry-after') ?? undefined, Date.now());
      } catch (e) {
        if (e instanceof AppError) {
          if (e.code !== 'PB_ERR_CONNECTOR_TARGET' || !isRetryable(e)) throw e;
          failure = e;
        } else {
          failure = new AppError(
            'PB_ERR_CONNECTOR_TARGET',
            `${inst.name}: ${what} failed: ${describeNetworkError(e)}`,
            {
              cause: e,
              detail: { instance: inst.name, call: what },
            },
          );
        }
      }
      if (attempt >= inst.retry.retries) throw failure;
      const delay = Math.min(
        inst.retry.maxDelayMs,
        Math.max(backoffDelay(attempt, policy, this.random), retryAfterMs ?? 0),
      );
      this.retries++;
      log.warn(
        { call: what, attempt: attempt + 1, delayMs: delay, err: failure.message },
        'target call failed; retrying',
      );
      await this.sleep(delay);
    }
  }
}

function isRetryable(e: AppError): boolean {
  const status = e.detail?.status;
  return typeof status !== 'number' || retryableStatus.has(status);
}

function json(value: unknown): { body: string; headers: Record<string, string>; bytes: number } {
  const body = JSON.stringify(value);
  return {
    body,
    headers: { 'content-type': 'application/json; charset=utf-8' },
    bytes: Buffer.byteLength(body),
  };
}

async function readAnswer(res: Awaited<ReturnType<typeof fetch>>): Promise<unknown> {
  const reader = res.body?.getReader() as ReadableStreamDefaultReader<Uint8Array> | undefined;
  if (!reader) return undefined;
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > maxAnswerBytes) {
      await reader.cancel().catch(() => undefined);
      throw new AppError(
        'PB_ERR_CONNECTOR_PROTOCOL',
        `the target's answer is larger than ${maxAnswerBytes} bytes`,
      );
    }
    chunks.push(value);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function reasonOf(body: unknown): string | undefined {
  if (body === null || typeof body !== 'object') return undefined;
  const b = body as Record<string, unknown>;
  const r = b.reason ?? b.message ?? b.error;
  return typeof r === 'string' ? r.slice(0, 300) : undefined;
}

function describeNetworkError(e: unknown): string {
  if (e instanceof Error) {
    if (e.name === 'TimeoutError' || e.name === 'AbortError') return 'timed out';
    const cause = (e as Error & { cause?: unknown }).cause;
    const code = (cause as NodeJS.ErrnoException | undefined)?.code;
    const msg = cause instanceof Error ? cause.message : e.message;
    return code ? `${code} ${msg}` : msg;
  }
  return String(e);
}
