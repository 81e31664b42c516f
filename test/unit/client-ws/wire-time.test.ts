import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatDate } from '../../../src/protocol/client-ws/index.js';
import { createRng } from '../../helpers/fuzz.js';

void test('formatDate builds the same xs:date as toISOString over years 0-9999', () => {
  const rng = createRng(0xda7e);
  const min = Date.UTC(0, 0, 1) - 365 * 86_400_000 * 1900; // Date.UTC maps 0-99 to 1900-1999
  const max = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
  const cases = [Date.UTC(2026, 9, 4), Date.UTC(1970, 0, 1), max, new Date('0000-01-01T00:00:00Z').getTime()];
  for (let i = 0; i < 20_000; i++) cases.push(min + Math.floor((rng.next() / 2 ** 32) * (max - min)));
  for (const ms of cases) {
    const d = new Date(ms);
    const iso = d.toISOString();
    if (iso.length !== 24) continue;
    assert.equal(formatDate(d), iso.slice(0, 10), iso);
  }
  assert.throws(() => formatDate(new Date(Date.UTC(10000, 0, 1))), { code: 'PB_ERR_INTERNAL' });
  assert.throws(() => formatDate(new Date(NaN)), { code: 'PB_ERR_INTERNAL' });
});
