import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ByteLru } from '../../../src/client-service/lru-cache.js';

void test('ByteLru stays within its byte budget and evicts the oldest unused entry first', () => {
  const lru = new ByteLru<string>(100, (s) => s.length);
  for (let i = 0; i < 10; i++) lru.set(i, 'x'.repeat(20));
  assert.ok(lru.bytes <= 100);
  assert.equal(lru.size, 5);
  assert.equal(lru.get(0), undefined);
  assert.equal(lru.get(9), 'x'.repeat(20));
});

void test('ByteLru gives a recently used entry a second chance', () => {
  const lru = new ByteLru<string>(60, (s) => s.length);
  lru.set(1, 'a'.repeat(20));
  lru.set(2, 'b'.repeat(20));
  lru.set(3, 'c'.repeat(20));
  assert.equal(lru.get(1), 'a'.repeat(20)); // 1 is the oldest but used
  lru.set(4, 'd'.repeat(20)); // evicts 2, not 1
  assert.equal(lru.get(2), undefined);
  assert.equal(lru.get(1), 'a'.repeat(20));
  assert.equal(lru.get(4), 'd'.repeat(20));
  assert.equal(lru.bytes, 60);
});

void test('ByteLru never keeps a value larger than the budget, replaces and deletes by key', () => {
  const lru = new ByteLru<string>(50, (s) => s.length);
  lru.set(1, 'x'.repeat(10));
  lru.set(2, 'y'.repeat(51));
  assert.equal(lru.get(2), undefined);
  lru.set(1, 'z'.repeat(30));
  assert.equal(lru.bytes, 30);
  lru.delete(1);
  assert.equal(lru.size, 0);
  assert.equal(lru.bytes, 0);
  // All entries used: the loop still terminates and the budget holds.
  for (let i = 0; i < 5; i++) lru.set(i, 'q'.repeat(10));
  for (let i = 0; i < 5; i++) lru.get(i);
  lru.set(99, 'w'.repeat(40));
  assert.ok(lru.bytes <= 50, `bytes ${String(lru.bytes)}`);
  assert.equal(lru.get(99), 'w'.repeat(40));
});
