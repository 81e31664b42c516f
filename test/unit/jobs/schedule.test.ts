import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dailySlots, nextRun } from '../../../src/jobs/index.js';

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

void test('daily slots: first time plus N per day, evenly spaced and wrapped past midnight', () => {
  const fmt = (s: { hour: number; minute: number }[]) =>
    s.map((x) => `${String(x.hour).padStart(2, '0')}:${String(x.minute).padStart(2, '0')}`);
  assert.deepEqual(fmt(dailySlots('03:00', 1)), ['03:00']);
  assert.deepEqual(fmt(dailySlots('03:00', 4)), ['03:00', '09:00', '15:00', '21:00']);
  assert.deepEqual(fmt(dailySlots('22:30', 3)), ['06:30', '14:30', '22:30']);
  // 1440 / 7 = 205.7 minutes: rounded per slot, never drifting.
  assert.deepEqual(fmt(dailySlots('00:00', 7)), [
    '00:00',
    '03:26',
    '06:51',
    '10:17',
    '13:43',
    '17:09',
    '20:34',
  ]);
  assert.deepEqual(dailySlots('03:00', 0), []);
  assert.equal(dailySlots('00:00', 24).length, 24);
  assert.throws(() => dailySlots('3:00', 1), { code: 'PB_ERR_CONFIG_INVALID' });
  assert.throws(() => dailySlots('24:00', 1), { code: 'PB_ERR_CONFIG_INVALID' });
  assert.throws(() => dailySlots('03:00', -1), { code: 'PB_ERR_CONFIG_INVALID' });
});

void test('next run: the first slot strictly after the given time, plus jitter from the random source', () => {
  const trigger = {
    kind: 'daily',
    firstTime: '03:00',
    perDay: 4,
    jitterMs: 30 * 60_000,
    timezone: 'UTC',
  } as const;
  const zero = () => 0;
  assert.deepEqual(nextRun(trigger, at('2025-06-01T00:00:00Z'), zero), {
    slotAt: at('2025-06-01T03:00:00Z'),
    runAt: at('2025-06-01T03:00:00Z'),
  });
  // Exactly at a slot: that slot is past, the next one is due.
  assert.equal(iso(nextRun(trigger, at('2025-06-01T03:00:00Z'), zero)?.slotAt), '2025-06-01T09:00:00.000Z');
  assert.equal(iso(nextRun(trigger, at('2025-06-01T21:00:01Z'), zero)?.slotAt), '2025-06-02T03:00:00.000Z');
  // Jitter is uniform in [0, jitterMs): random 0.5 -> 15 min, 0.999999 -> just under 30 min.
  assert.equal(
    iso(nextRun(trigger, at('2025-06-01T00:00:00Z'), () => 0.5)?.runAt),
    '2025-06-01T03:15:00.000Z',
  );
  const late = nextRun(trigger, at('2025-06-01T00:00:00Z'), () => 0.999999)!;
  assert.ok(late.runAt - late.slotAt < 30 * 60_000 && late.runAt - late.slotAt > 29 * 60_000);
  // Many servers with one schedule spread over the whole jitter window.
  let seed = 42;
  const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const offsets = Array.from({ length: 1000 }, () => {
    const p = nextRun(trigger, at('2025-06-01T00:00:00Z'), rnd)!;
    return p.runAt - p.slotAt;
  });
  const buckets = new Array(6).fill(0) as number[];
  for (const o of offsets) buckets[Math.floor(o / (5 * 60_000))]!++;
  for (const b of buckets) assert.ok(b > 120 && b < 220, `even spread per 5 minutes: ${buckets.join(',')}`);
  assert.equal(nextRun({ ...trigger, perDay: 0 }, 0), undefined);
  assert.equal(nextRun({ kind: 'manual' }, 0), undefined);
});

void test('next run follows the zone calendar: local HH:MM across a DST change; cron and interval triggers', () => {
  const berlin = {
    kind: 'daily',
    firstTime: '03:00',
    perDay: 1,
    jitterMs: 0,
    timezone: 'Europe/Berlin',
  } as const;
  // Winter: 03:00 CET = 02:00Z; summer (after 2025-03-30): 03:00 CEST = 01:00Z.
  assert.equal(iso(nextRun(berlin, at('2025-03-28T12:00:00Z'))?.slotAt), '2025-03-29T02:00:00.000Z');
  assert.equal(iso(nextRun(berlin, at('2025-03-29T12:00:00Z'))?.slotAt), '2025-03-30T01:00:00.000Z');
  assert.equal(
    iso(
      nextRun({ kind: 'cron', pattern: '15 4 * * 1', timezone: 'UTC' }, at('2025-06-01T00:00:00Z'))?.slotAt,
    ),
    '2025-06-02T04:15:00.000Z',
  );
  assert.deepEqual(nextRun({ kind: 'interval', everyMs: 1000 }, 5000), { slotAt: 6000, runAt: 6000 });
  assert.throws(() => nextRun({ kind: 'cron', pattern: 'not a cron' }, 0), { code: 'PB_ERR_CONFIG_INVALID' });
});
