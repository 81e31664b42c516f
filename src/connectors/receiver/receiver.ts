/**
 * The reference receiver: a small fastify server implementing the connector wire contract (docs/connector.md)
 * that stores what it receives, so operators can watch the flow end to end and vendors have a working
 * counterpart to build against. Layout under `dataDir`:
 *   events.jsonl                                   every call, in arrival order (authorize/start/part/stop)
 *   <instance>/<runId>/<group dir>/start.json      the start event
 *   <instance>/<runId>/<group dir>/part-00000      the parts, checksums verified on arrival
 *   <instance>/<runId>/<group dir>/document.jsonl  the parts reassembled when the stop event arrives
 *   <instance>/<runId>/<group dir>/stop.json       written last: its presence means "acknowledged"
 * Test options: refuse authorization for some groups; fail uploads (HTTP 503) after N stored parts.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { appendFile, mkdir, open, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pino } from 'pino';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import { isAppError } from '../../errors.js';
import type { Logger } from '../../observability/index.js';
import {
  endpoints,
  instancePattern,
  partFieldsSchema,
  startEventSchema,
  stopEventSchema,
  wireLimits,
  type StartEvent,
} from '../wire-contract.js';
import { multipartBoundary, parseMultipart } from './multipart.js';

export interface ReceiverOptions {
  dataDir: string;
  /** When set, requests must carry `Authorization: Bearer <token>` (or Basic with the token as password). */
  token?: string | undefined;
  /** Groups the receiver answers "not authorized" for. */
  refuseGroups?: readonly string[];
  /** Fault injection: after this many stored parts, uploads answer 503 ... */
  failAfterParts?: number | undefined;
  /** ... this many times (default: every time). */
  failCount?: number | undefined;
  logger?: Logger;
}

interface ReceiverState {
  partsStored: number;
  failuresLeft: number;
}

/** A directory name for a group: readable, file-system safe, and unique per exact name. */
export function receiverGroupDir(group: string): string {
  const slug = group
    .normalize('NFC')
    .replace(/[^\p{L}\p{N}._-]+/gu, '_')
    .slice(0, 64);
  return `${slug}-${createHash('sha256').update(group, 'utf8').digest('hex').slice(0, 12)}`;
}

function problem(reply: FastifyReply, status: number, reason: string, extra: Record<string, unknown> = {}) {
  return reply.code(status).send({ error: status >= 500 ? 'unavailable' : 'rejected', reason, ...extra });
}

function tokenMatches(header: string | undefined, token: string): boolean {
  if (header === undefined) return false;
  let presented: string | undefined;
  if (/^bearer /i.test(header)) presented = header.slice(7).trim();
  else if (/^basic /i.test(header)) {
    const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    presented = colon < 0 ? undefined : decoded.slice(colon + 1);
  }
  if (presented === undefined) return false;
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(token).digest();
  return timingSafeEqual(a, b);
}

export async function buildConnectorReceiver(options: ReceiverOptions): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: options.logger ?? pino({ level: 'silent' }),
    bodyLimit: wireLimits.maxJsonBodyBytes,
  }) as unknown as FastifyInstance;
  await mkdir(options.dataDir, { recursive: true });
  const state: ReceiverState = {
    partsStored: 0,
    failuresLeft: options.failCount ?? Number.POSITIVE_INFINITY,
  };
  const refuse = new Set(options.refuseGroups ?? []);
  const eventsFile = join(options.dataDir, 'events.jsonl');
  const record = (event: Record<string, unknown>) =>
    appendFile(eventsFile, `${JSON.stringify({ at: new Date().toISOString(), ...event })}\n`);
  const runDir = (instance: string, runId: string, group: string) =>
    join(options.dataDir, instance, runId, receiverGroupDir(group));

  app.addContentTypeParser(
    'multipart/form-data',
    { parseAs: 'buffer', bodyLimit: wireLimits.maxPartBytes + 64 * 1024 },
    (_req, body, done) => done(null, body),
  );

  app.setErrorHandler((err: Error & { statusCode?: number }, _req, reply) => {
    if (isAppError(err)) return problem(reply, err.status, err.message);
    const status = err.statusCode ?? 500;
    return problem(reply, status, status < 500 ? err.message : 'internal error');
  });

  if (options.token !== undefined) {
    const token = options.token;
    app.addHook('onRequest', async (req, reply) => {
      if (!tokenMatches(req.headers.authorization, token)) {
        await record({ event: 'unauthenticated', url: req.url.split('?')[0] });
        return problem(reply.header('www-authenticate', 'Bearer'), 401, 'missing or wrong credentials');
      }
    });
  }

  app.get(endpoints.authorize, async (req, reply) => {
    const q = req.query as Record<string, unknown>;
    const instance = typeof q.instance === 'string' ? q.instance : '';
    const group = typeof q.group === 'string' ? q.group : '';
    if (!instancePattern.test(instance) || group === '' || group.length > wireLimits.maxGroupLength)
      return problem(reply, 400, 'instance and group are required');
    const authorized = !refuse.has(group);
    await record({ event: 'authorize', instance, group, authorized });
    return authorized
      ? { authorized: true }
      : { authorized: false, reason: `group ${JSON.stringify(group)} is not licensed for this connector` };
  });

  app.post(endpoints.start, async (req, reply) => {
    const parsed = startEventSchema.safeParse(req.body);
    if (!parsed.success)
      return problem(reply, 400, `invalid start event: ${parsed.error.issues[0]?.message ?? ''}`);
    const ev = parsed.data;
    const dir = runDir(ev.instance, ev.runId, ev.group);
    await mkdir(dir, { recursive: true });
    const file = join(dir, 'start.json');
    const existing = await readJson<StartEvent>(file);
    if (
      existing !== undefined &&
      (existing.mode !== ev.mode || existing.since !== ev.since || existing.until !== ev.until)
    )
      return problem(reply, 409, 'a different start event was already received for this run and group');
    if (existing === undefined) await writeAtomic(file, JSON.stringify(ev, null, 2));
    await record({ event: 'start', instance: ev.instance, group: ev.group, runId: ev.runId, mode: ev.mode });
    return { accepted: true };
  });

  app.post(endpoints.parts, async (req, reply) => {
    const body = req.body;
    if (!Buffer.isBuffer(body)) return problem(reply, 415, 'expected multipart/form-data');
    const fields = parseMultipart(body, multipartBoundary(req.headers['content-type']));
    const text: Record<string, string> = Object.create(null) as Record<string, string>;
    let data: Buffer | undefined;
    for (const f of fields) {
      if (f.name === 'data' && f.filename !== undefined) {
        if (data !== undefined) return problem(reply, 400, 'more than one data field');
        data = f.data;
      } else if (f.filename === undefined) {
        if (f.name in text) return problem(reply, 400, `field ${f.name} given twice`);
        text[f.name] = f.data.toString('utf8');
      } else return problem(reply, 400, `unexpected file field ${f.name}`);
    }
    const parsed = partFieldsSchema.safeParse({ ...text });
    if (!parsed.success)
      return problem(
        reply,
        400,
        `invalid part fields: ${parsed.error.issues.map((i) => i.path.join('.')).join(', ')}`,
      );
    if (data === undefined) return problem(reply, 400, 'missing data field');
    const p = parsed.data;
    const index = Number(p.partIndex);
    const total = Number(p.partTotal);
    if (total < 1 || total > wireLimits.maxParts || index >= total)
      return problem(reply, 400, 'part index out of range');
    const sha = createHash('sha256').update(data).digest('hex');
    if (sha !== p.sha256) {
      await record({
        event: 'part',
        instance: p.instance,
        group: p.group,
        runId: p.runId,
        partIndex: index,
        result: 'checksum',
      });
      return problem(reply, 422, 'the part does not match its sha256');
    }
    const dir = runDir(p.instance, p.runId, p.group);
    if ((await readJson(join(dir, 'start.json'))) === undefined)
      return problem(reply, 409, 'no start event for this run and group');
    if (
      options.failAfterParts !== undefined &&
      state.partsStored >= options.failAfterParts &&
      state.failuresLeft > 0
    ) {
      state.failuresLeft--;
      await record({
        event: 'part',
        instance: p.instance,
        group: p.group,
        runId: p.runId,
        partIndex: index,
        result: 'injected-failure',
      });
      return problem(
        reply.header('retry-after', '0'),
        503,
        'fault injection: failing after the configured number of parts',
      );
    }
    const file = join(dir, `part-${String(index).padStart(5, '0')}`);
    let duplicate = false;
    const previous = await readFile(file).catch(() => undefined);
    if (previous !== undefined) {
      if (createHash('sha256').update(previous).digest('hex') !== sha)
        return problem(reply, 409, 'a different part with this index was already received');
      duplicate = true;
    } else {
      await writeAtomic(file, data);
      state.partsStored++;
    }
    await record({
      event: 'part',
      instance: p.instance,
      group: p.group,
      runId: p.runId,
      partIndex: index,
      partTotal: total,
      bytes: data.length,
      result: duplicate ? 'duplicate' : 'stored',
    });
    return { stored: true, duplicate };
  });

  app.post(endpoints.stop, async (req, reply) => {
    const parsed = stopEventSchema.safeParse(req.body);
    if (!parsed.success)
      return problem(reply, 400, `invalid stop event: ${parsed.error.issues[0]?.message ?? ''}`);
    const ev = parsed.data;
    const dir = runDir(ev.instance, ev.runId, ev.group);
    const start = await readJson<StartEvent>(join(dir, 'start.json'));
    if (start === undefined) return problem(reply, 409, 'no start event for this run and group');
    const stopFile = join(dir, 'stop.json');
    const previous = await readJson<{ sha256: string }>(stopFile);
    if (previous !== undefined) {
      if (previous.sha256 !== ev.sha256)
        return problem(reply, 409, 'a different stop event was already acknowledged');
      await record({
        event: 'stop',
        instance: ev.instance,
        group: ev.group,
        runId: ev.runId,
        result: 'duplicate',
      });
      return { acknowledged: true };
    }
    const missing: number[] = [];
    for (let i = 0; i < ev.parts && missing.length < 20; i++) {
      const ok = await stat(join(dir, `part-${String(i).padStart(5, '0')}`)).then(
        (s) => s.isFile(),
        () => false,
      );
      if (!ok) missing.push(i);
    }
    if (missing.length > 0) return problem(reply, 409, 'parts are missing', { missing });
    const ext = start.format === 'csv' ? 'csv' : 'jsonl';
    const assembled = await assemble(dir, ev.parts, join(dir, `document.${ext}`));
    if (assembled.sha256 !== ev.sha256 || assembled.bytes !== ev.bytes)
      return problem(reply, 422, 'the reassembled document does not match the stop event (sha256 or size)');
    await writeAtomic(stopFile, JSON.stringify(ev, null, 2));
    await record({
      event: 'stop',
      instance: ev.instance,
      group: ev.group,
      runId: ev.runId,
      parts: ev.parts,
      result: 'acknowledged',
    });
    return { acknowledged: true };
  });

  return app;
}

async function readJson<T = unknown>(file: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

async function writeAtomic(file: string, data: string | Buffer): Promise<void> {
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(tmp, data);
  await rename(tmp, file);
}

/** Concatenates the parts in index order into `target` (atomically), hashing as it goes. */
async function assemble(
  dir: string,
  parts: number,
  target: string,
): Promise<{ sha256: string; bytes: number }> {
  const tmp = `${target}.tmp`;
  const out = await open(tmp, 'w');
  const hash = createHash('sha256');
  let bytes = 0;
  try {
    for (let i = 0; i < parts; i++) {
      for await (const chunk of createReadStream(join(dir, `part-${String(i).padStart(5, '0')}`))) {
        const b = chunk as Buffer;
        hash.update(b);
        bytes += b.length;
        await out.write(b);
      }
    }
  } finally {
    await out.close();
  }
  await rename(tmp, target);
  return { sha256: hash.digest('hex'), bytes };
}
