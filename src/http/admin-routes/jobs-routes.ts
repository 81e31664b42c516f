/**
 * `GET /api/v1/jobs/:id` and `GET /api/v1/jobs/:id/events` (Server-Sent Events): the state and progress of a
 * job the API started (a sync, a content verify or download). Both read the `jobs` table, so a job started on
 * one node is followed from any other. The stream polls the table (every 500 ms: cheap, and no cross-node
 * messaging to run) and sends `event: progress` when the progress or state changed and `event: done` once the
 * job finished, then closes. Streams are bounded per token and per node, and last at most an hour (an
 * EventSource reconnects by itself).
 */
import type { FastifyInstance } from 'fastify';
import { AppError } from '../../errors.js';
import type { JobRunner, JobView } from '../../jobs/index.js';
import { tokenOf } from './auth.js';
import { problems } from './schemas.js';

export const jobStreamLimits = {
  perToken: 4,
  perNode: 64,
  pollMs: 500,
  keepAliveMs: 15_000,
  maxDurationMs: 3_600_000,
} as const;

const nullableInt = { type: ['integer', 'null'] } as const;

export const jobSchema = {
  type: 'object',
  additionalProperties: true,
  required: ['id', 'kind', 'state', 'progress'],
  properties: {
    id: { type: 'string' },
    kind: { type: 'string', enum: ['sync', 'content-verify', 'content-download'] },
    state: { type: 'string', enum: ['queued', 'running', 'succeeded', 'failed'] },
    progress: {
      type: 'object',
      required: ['done', 'total', 'phase'],
      properties: {
        done: { type: 'integer' },
        total: { type: 'integer', description: '0 while unknown.' },
        phase: { type: 'string', description: 'sync: categories, updates, ..., content; done at the end.' },
      },
    },
    result: {
      type: 'object',
      additionalProperties: true,
      description:
        'When succeeded: what the matching `patchbay ... --json` command prints (a sync with quarantined ' +
        'revisions or failed files succeeds with outcome `partial`).',
    },
    error: {
      type: 'object',
      properties: { code: { type: 'string' }, message: { type: 'string' } },
      description: 'When failed: the typed error (PB_ERR_*).',
    },
    createdBy: { type: 'string', description: 'api:<token name> that started it.' },
    node: { type: 'string', description: 'The node running it (host:pid).' },
    createdAt: { type: 'integer' },
    updatedAt: { type: 'integer', description: 'Last progress or heartbeat of the running node.' },
    finishedAt: nullableInt,
  },
} as const;

/** The 202 answer of a route that starts a job. */
export const jobAccepted = {
  type: 'object',
  required: ['job'],
  properties: { job: jobSchema },
} as const;

const idParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', pattern: '^[0-9a-f-]{36}$', description: 'The job id.' } },
} as const;

const finished = (j: JobView) => j.state === 'succeeded' || j.state === 'failed';
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

export function registerJobRoutes(app: FastifyInstance, jobs: JobRunner): void {
  const open = new Map<string, number>();
  let total = 0;
  let stopping = false;
  // Streams end when the server closes, so a shutdown does not wait for an hour-long stream.
  app.addHook('preClose', (done) => {
    stopping = true;
    done();
  });

  app.get<{ Params: { id: string } }>(
    '/api/v1/jobs/:id',
    {
      config: { permission: 'catalog:read' },
      schema: {
        summary: 'A job started by the API: state, progress, result or typed error',
        tags: ['jobs'],
        params: idParams,
        response: { 200: jobSchema, ...problems(403, 404) },
      },
    },
    async (req) => jobs.get(req.params.id),
  );

  app.get<{ Params: { id: string } }>(
    '/api/v1/jobs/:id/events',
    {
      config: { permission: 'catalog:read' },
      schema: {
        summary: 'Stream a job as Server-Sent Events (`progress` on change, then `done`)',
        description:
          'text/event-stream: `event: progress` with the job JSON whenever its progress or state changes ' +
          '(the first at once), `event: done` with the finished job, then the stream closes. At most ' +
          `${jobStreamLimits.perToken} open streams per token (429 PB_ERR_TOO_MANY_STREAMS).`,
        tags: ['jobs'],
        params: idParams,
        response: {
          200: { type: 'string', description: 'text/event-stream' },
          ...problems(403, 404, 429),
        },
      },
    },
    async (req, reply) => {
      let job = await jobs.get(req.params.id);
      const who = tokenOf(req).name;
      const mine = open.get(who) ?? 0;
      if (mine >= jobStreamLimits.perToken || total >= jobStreamLimits.perNode)
        throw new AppError(
          'PB_ERR_TOO_MANY_STREAMS',
          mine >= jobStreamLimits.perToken
            ? `token ${who} has ${mine} job streams open (at most ${jobStreamLimits.perToken}); close one or poll GET /api/v1/jobs/:id`
            : `this node serves ${total} job streams (at most ${jobStreamLimits.perNode}); poll GET /api/v1/jobs/:id`,
          { detail: { open: mine, limit: jobStreamLimits.perToken } },
        );
      open.set(who, mine + 1);
      total++;
      reply.hijack();
      const raw = reply.raw;
      let closed = false;
      raw.on('close', () => {
        closed = true;
      });
      raw.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        connection: 'keep-alive',
        // A buffering reverse proxy (nginx) would hold the events back.
        'x-accel-buffering': 'no',
      });
      const send = (event: string, j: JobView) =>
        raw.write(`event: ${event}\nid: ${j.updatedAt}\ndata: ${JSON.stringify(j)}\n\n`);
      const started = Date.now();
      let lastSent = '';
      let lastWrite = Date.now();
      try {
        while (!closed && !stopping && Date.now() - started < jobStreamLimits.maxDurationMs) {
          if (finished(job)) {
            send('done', job);
            break;
          }
          const shown = `${job.state} ${JSON.stringify(job.progress)}`;
          if (shown !== lastSent) {
            send('progress', job);
            lastSent = shown;
            lastWrite = Date.now();
          } else if (Date.now() - lastWrite >= jobStreamLimits.keepAliveMs) {
            raw.write(': keep-alive\n\n');
            lastWrite = Date.now();
          }
          await sleep(jobStreamLimits.pollMs);
          job = await jobs.get(job.id);
        }
      } catch (err) {
        // The job row is gone (retention) or the database failed: end the stream; the client polls.
        req.log.warn({ err, jobId: job.id }, 'job event stream ended by an error');
      } finally {
        total--;
        const n = (open.get(who) ?? 1) - 1;
        if (n === 0) open.delete(who);
        else open.set(who, n);
        raw.end();
      }
    },
  );
}
