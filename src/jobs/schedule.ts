import { Cron } from 'croner';
import { AppError } from '../errors.js';

/**
 * When a job runs. `daily`: the `[sync]` shape (first time of day, N runs per day evenly spaced, random
 * jitter); `cron`: any croner pattern (connectors, cleanup); `interval`: every N ms from start (local checks);
 * `manual`: only when asked.
 */
export type JobTrigger =
  | {
      readonly kind: 'daily';
      /** Local time of the first run of the day: `HH:MM` or the config's parsed `{ hour, minute }`. */
      readonly firstTime: string | TimeOfDay;
      readonly perDay: number;
      readonly jitterMs: number;
      /** IANA zone; default the server's local time zone. */
      readonly timezone?: string;
    }
  | {
      readonly kind: 'cron';
      readonly pattern: string;
      readonly jitterMs?: number;
      readonly timezone?: string;
    }
  | { readonly kind: 'interval'; readonly everyMs: number }
  | { readonly kind: 'manual' };

export interface TimeOfDay {
  readonly hour: number;
  readonly minute: number;
}

/**
 * The `perDay` times of day, evenly spaced over 24 h from `firstTime` (WSUS's "first synchronization" +
 * "synchronizations per day"). Spacing is rounded to whole minutes; 0 per day means no scheduled run.
 */
export function dailySlots(firstTime: string | TimeOfDay, perDay: number): TimeOfDay[] {
  const text =
    typeof firstTime === 'string'
      ? firstTime
      : `${String(firstTime.hour).padStart(2, '0')}:${String(firstTime.minute).padStart(2, '0')}`;
  const m = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(text);
  if (m === null) throw new AppError('PB_ERR_CONFIG_INVALID', `first sync time must be HH:MM, got "${text}"`);
  if (!Number.isInteger(perDay) || perDay < 0 || perDay > 1440)
    throw new AppError('PB_ERR_CONFIG_INVALID', `syncs per day must be 0..1440, got ${perDay}`);
  const first = Number(m[1]) * 60 + Number(m[2]);
  const slots = new Map<number, TimeOfDay>();
  for (let i = 0; i < perDay; i++) {
    const at = (first + Math.round((i * 1440) / perDay)) % 1440;
    slots.set(at, { hour: Math.floor(at / 60), minute: at % 60 });
  }
  return [...slots.entries()].sort((a, b) => a[0] - b[0]).map(([, s]) => s);
}

/** A planned run: the calendar slot, and the moment it really starts (slot + jitter). */
export interface PlannedRun {
  readonly slotAt: number;
  readonly runAt: number;
}

/**
 * The first run strictly after `after` (ms since epoch), computed with croner so time zones and daylight
 * saving follow the calendar (a slot inside a DST gap runs at the first valid minute). Jitter is uniform in
 * [0, jitterMs), drawn from `random`, so a hierarchy of servers with the same schedule does not stampede its
 * upstream. undefined for `manual` and a `daily` trigger with 0 runs per day.
 */
export function nextRun(
  trigger: JobTrigger,
  after: number,
  random: () => number = Math.random,
): PlannedRun | undefined {
  const jitter = (ms: number | undefined) => Math.floor(random() * Math.max(0, ms ?? 0));
  switch (trigger.kind) {
    case 'manual':
      return undefined;
    case 'interval': {
      if (!(trigger.everyMs > 0)) throw new AppError('PB_ERR_CONFIG_INVALID', 'interval must be positive');
      return { slotAt: after + trigger.everyMs, runAt: after + trigger.everyMs };
    }
    case 'cron': {
      const at = cronNext(trigger.pattern, trigger.timezone, after);
      return at === undefined ? undefined : { slotAt: at, runAt: at + jitter(trigger.jitterMs) };
    }
    case 'daily': {
      let best: number | undefined;
      for (const s of dailySlots(trigger.firstTime, trigger.perDay)) {
        const at = cronNext(`${s.minute} ${s.hour} * * *`, trigger.timezone, after);
        if (at !== undefined && (best === undefined || at < best)) best = at;
      }
      return best === undefined ? undefined : { slotAt: best, runAt: best + jitter(trigger.jitterMs) };
    }
  }
}

function cronNext(pattern: string, timezone: string | undefined, after: number): number | undefined {
  let cron: Cron;
  try {
    cron = new Cron(pattern, { paused: true, ...(timezone ? { timezone } : {}) });
  } catch (e) {
    throw new AppError('PB_ERR_CONFIG_INVALID', `invalid schedule "${pattern}": ${(e as Error).message}`, {
      cause: e,
    });
  }
  try {
    return cron.nextRun(new Date(after))?.getTime();
  } finally {
    cron.stop();
  }
}
