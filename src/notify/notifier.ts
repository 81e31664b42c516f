/**
 * The notification hub: `notify(n)` is the one hook every emitter calls (the sync job, the periodic checks,
 * and later the deployment rings for rollout.held / rollout.paused). It never blocks and never throws: each
 * channel has its own bounded queue (the oldest is dropped when full, counted) and one worker that delivers
 * in order, retrying a retryable failure with exponential backoff and jitter. A condition that persists
 * (a stale sync, a full disk) is sent again only after `repeatMs` for the same key.
 */
import type { NotificationEventName } from '../domain/index.js';
import type { Logger } from '../observability/index.js';
import { DeliveryError, type Notification, type NotificationChannel } from './notification.js';

export interface NotifierOptions {
  readonly channels: readonly NotificationChannel[];
  /** Events sent; others are dropped silently (`[notifications] events`). */
  readonly events: ReadonlySet<NotificationEventName>;
  readonly queueLimit: number;
  /** Retries after the first failed attempt, per channel (email, webhook). */
  readonly retries: Readonly<Record<NotificationChannel['name'], number>>;
  readonly repeatMs: number;
  readonly logger: Logger;
  /** First retry delay; doubles up to `maxBackoffMs` (default 1 s .. 5 min). */
  readonly backoffMs?: number;
  readonly maxBackoffMs?: number;
  /** Queue lengths and outcomes for /metrics. */
  readonly onQueueLength?: (channel: string, length: number) => void;
  readonly onOutcome?: (channel: string, outcome: 'sent' | 'failed' | 'dropped') => void;
}

/** What happened to one notification on one channel (`patchbay notify test` prints it). */
export interface DeliveryReport {
  readonly channel: NotificationChannel['name'];
  readonly target: string;
  readonly ok: boolean;
  readonly attempts: number;
  readonly error?: string;
}

interface Lane {
  readonly channel: NotificationChannel;
  readonly queue: { n: Notification; done?: (r: DeliveryReport) => void }[];
  running: boolean;
}

export class Notifier {
  readonly #lanes: Lane[];
  readonly #lastSent = new Map<string, number>();
  #closed = false;
  readonly #sleeps = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>();

  constructor(private readonly o: NotifierOptions) {
    this.#lanes = o.channels.map((channel) => ({ channel, queue: [], running: false }));
  }

  /** True when at least one channel is configured. */
  get enabled(): boolean {
    return this.#lanes.length > 0;
  }

  get channels(): readonly NotificationChannel[] {
    return this.#lanes.map((l) => l.channel);
  }

  /**
   * Queues `n` on every channel. `key` (with the event) names a persisting condition: while it was sent less
   * than `repeatMs` ago it is not sent again. Returns whether it was queued.
   */
  notify(n: Notification, opts: { key?: string } = {}): boolean {
    if (this.#closed || this.#lanes.length === 0 || !this.o.events.has(n.event)) return false;
    if (opts.key !== undefined) {
      const k = `${n.event}\u0000${opts.key}`;
      const last = this.#lastSent.get(k);
      const now = Date.now();
      if (last !== undefined && now - last < this.o.repeatMs) return false;
      // The keys come from bounded sets (a disk, an event); still, never let the map grow without end.
      if (this.#lastSent.size >= 1000) this.#lastSent.clear();
      this.#lastSent.set(k, now);
    }
    for (const lane of this.#lanes) this.#enqueue(lane, { n });
    return true;
  }

  /** Delivers `n` on every channel now, whatever `events` says, and reports each (`patchbay notify test`). */
  async deliverNow(n: Notification): Promise<DeliveryReport[]> {
    return Promise.all(
      this.#lanes.map(
        (lane) =>
          new Promise<DeliveryReport>((resolve) => {
            this.#enqueue(lane, { n, done: resolve });
          }),
      ),
    );
  }

  /** Waits until every queue is empty (or `timeoutMs` passed); true when drained. */
  async drain(timeoutMs = 30_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.#lanes.some((l) => l.running || l.queue.length > 0)) {
      if (Date.now() >= deadline) return false;
      await new Promise((r) => setTimeout(r, 20));
    }
    return true;
  }

  /** Stops: waiting retries are abandoned (logged), the channels are closed. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const s of this.#sleeps) {
      clearTimeout(s.timer);
      s.resolve();
    }
    await this.drain(5_000);
    for (const lane of this.#lanes) {
      if (lane.queue.length > 0)
        this.o.logger.warn(
          { channel: lane.channel.name, pending: lane.queue.length },
          'notifications not delivered at shutdown',
        );
      await lane.channel.close().catch(() => undefined);
    }
  }

  #enqueue(lane: Lane, item: Lane['queue'][number]): void {
    if (lane.queue.length >= this.o.queueLimit) {
      const dropped = lane.queue.shift()!;
      this.o.onOutcome?.(lane.channel.name, 'dropped');
      this.o.logger.warn(
        { channel: lane.channel.name, event: dropped.n.event, queueLimit: this.o.queueLimit },
        'notification queue full; the oldest notification was dropped',
      );
      dropped.done?.({
        channel: lane.channel.name,
        target: lane.channel.target,
        ok: false,
        attempts: 0,
        error: 'dropped: the queue is full',
      });
    }
    lane.queue.push(item);
    this.o.onQueueLength?.(lane.channel.name, lane.queue.length);
    if (!lane.running) void this.#run(lane);
  }

  async #run(lane: Lane): Promise<void> {
    lane.running = true;
    try {
      while (lane.queue.length > 0) {
        const item = lane.queue[0]!;
        const report = await this.#deliver(lane.channel, item.n);
        lane.queue.shift();
        this.o.onQueueLength?.(lane.channel.name, lane.queue.length);
        item.done?.(report);
      }
    } finally {
      lane.running = false;
    }
  }

  async #deliver(channel: NotificationChannel, n: Notification): Promise<DeliveryReport> {
    const retries = this.o.retries[channel.name];
    const base = this.o.backoffMs ?? 1000;
    const max = this.o.maxBackoffMs ?? 300_000;
    let attempts = 0;
    for (;;) {
      attempts++;
      try {
        await channel.send(n);
        this.o.onOutcome?.(channel.name, 'sent');
        return { channel: channel.name, target: channel.target, ok: true, attempts };
      } catch (e) {
        const err = e instanceof DeliveryError ? e : new DeliveryError(String(e), true, { cause: e });
        const again = err.retryable && attempts <= retries && !this.#closed;
        this.o.logger.warn(
          { channel: channel.name, event: n.event, attempt: attempts, retrying: again, why: err.message },
          'notification delivery failed',
        );
        if (!again) {
          this.o.onOutcome?.(channel.name, 'failed');
          return { channel: channel.name, target: channel.target, ok: false, attempts, error: err.message };
        }
        // Full jitter over the doubled delay: many servers recovering at once do not retry in step.
        const delay = Math.min(max, base * 2 ** (attempts - 1));
        await this.#sleep(delay / 2 + Math.random() * (delay / 2));
      }
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const entry = { timer: setTimeout(() => done(), ms), resolve: () => done() };
      const done = () => {
        clearTimeout(entry.timer);
        this.#sleeps.delete(entry);
        resolve();
      };
      entry.timer.unref();
      this.#sleeps.add(entry);
    });
  }
}
