import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  evaluateGate,
  expandRingGroups,
  formatDuration,
  parseDuration,
  placeInRing,
} from '../../../src/domain/index.js';

const gate = { minReported: 10, maxFailurePercent: 5, maxFaultPercent: 10, maxUninstalls: 0 };
const figures = { computers: 100, installed: 0, failed: 0, faulted: 0, faultedOrStopped: 0, uninstalls: 0 };

void test('a gate waits for the soak and for enough reports, then passes', () => {
  const mid = evaluateGate({ ...figures, installed: 50 }, gate, false);
  assert.equal(mid.verdict, 'wait');
  assert.deepEqual(mid.reasons, ['soak time not over']);
  const few = evaluateGate({ ...figures, installed: 9 }, gate, true);
  assert.equal(few.verdict, 'wait');
  assert.match(few.reasons[0]!, /9 of 10 required install reports/);
  assert.equal(evaluateGate({ ...figures, installed: 96, failed: 4 }, gate, true).verdict, 'pass');
});

void test('failures fail the gate once enough reports are in, even mid-soak; one early failure is no rate', () => {
  assert.equal(evaluateGate({ ...figures, installed: 0, failed: 1 }, gate, false).verdict, 'wait');
  const r = evaluateGate({ ...figures, installed: 5, failed: 5 }, gate, false);
  assert.equal(r.verdict, 'fail');
  assert.equal(r.failurePercent, 50);
  assert.match(r.reasons[0]!, /install failures 50% \(5 of 10\) exceed 5%/);
  // At the soak's end the rate decides even below minReported.
  assert.equal(evaluateGate({ ...figures, failed: 2, installed: 1 }, gate, true).verdict, 'fail');
});

void test('stopped scanning counts only at the end of the soak; uninstalls and detection failures at once', () => {
  const silent = { ...figures, installed: 20, faultedOrStopped: 50 };
  assert.equal(evaluateGate(silent, gate, false).verdict, 'wait');
  assert.equal(evaluateGate(silent, gate, true).verdict, 'fail');
  assert.equal(evaluateGate({ ...figures, faulted: 11, faultedOrStopped: 11 }, gate, false).verdict, 'fail');
  const un = evaluateGate({ ...figures, uninstalls: 1 }, gate, false);
  assert.equal(un.verdict, 'fail');
  assert.match(un.reasons[0]!, /1 uninstall events exceed 0/);
});

void test('an empty ring passes only a gate that requires no report', () => {
  const empty = { ...figures, computers: 0 };
  assert.equal(evaluateGate(empty, gate, true).verdict, 'wait');
  assert.equal(evaluateGate(empty, { ...gate, minReported: 0 }, true).verdict, 'pass');
});

// all -> servers -> { pilot -> pilot-eu, broad }, unassigned
const parentOf = new Map<string, string | null>([
  ['all', null],
  ['servers', 'all'],
  ['pilot', 'servers'],
  ['pilot-eu', 'pilot'],
  ['broad', 'servers'],
  ['unassigned', 'all'],
]);
const rings = [
  { ringId: 7, groupIds: ['pilot'] },
  { ringId: 8, groupIds: ['broad'] },
];

void test('a computer is in the earliest ring of its groups and their ancestors; in no ring it follows the last', () => {
  assert.deepEqual(placeInRing(['pilot-eu'], parentOf, rings), { index: 0, ringId: 7, isMember: true });
  assert.deepEqual(placeInRing(['broad', 'pilot'], parentOf, rings), { index: 0, ringId: 7, isMember: true });
  assert.deepEqual(placeInRing(['broad'], parentOf, rings), { index: 1, ringId: 8, isMember: true });
  assert.deepEqual(placeInRing(['unassigned'], parentOf, rings), { index: 1, ringId: 8, isMember: false });
  assert.deepEqual(placeInRing([], parentOf, rings), { index: 1, ringId: 8, isMember: false });
  assert.equal(placeInRing(['pilot'], parentOf, []), undefined);
  // A ring holding an ancestor of an earlier ring's group: the earlier ring still wins for that group.
  const nested = [
    { ringId: 1, groupIds: ['pilot'] },
    { ringId: 2, groupIds: ['servers'] },
  ];
  assert.deepEqual(expandRingGroups(parentOf, nested), [
    ['pilot', 'pilot-eu'],
    ['servers', 'broad'],
  ]);
});

void test('durations read and print back', () => {
  assert.equal(parseDuration('1d12h', 'soak'), 129_600_000);
  assert.equal(parseDuration('90m', 'soak'), 5_400_000);
  assert.equal(parseDuration('0', 'soak'), 0);
  assert.equal(formatDuration(129_600_000), '1d12h');
  for (const bad of ['', '12', '1x', '-1d', '400d', '1d 2h'])
    assert.throws(() => parseDuration(bad, 'soak'), /soak must be a duration/);
});
