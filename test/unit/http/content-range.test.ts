import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decideRange, evaluatePreconditions, ifRangeAllowsRange } from '../../../src/http/content-range.js';
import { parseContentPath } from '../../../src/http/content-routes.js';
import { contentTypeFor } from '../../../src/http/content-types.js';

void test('decideRange: single ranges, suffixes, clamping, unsatisfiable, ignored forms', () => {
  const size = 1000;
  assert.deepEqual(decideRange(undefined, size), { kind: 'full' });
  assert.deepEqual(decideRange('bytes=0-999', size), { kind: 'partial', start: 0, end: 999 });
  assert.deepEqual(decideRange('bytes=0-5000', size), { kind: 'partial', start: 0, end: 999 });
  assert.deepEqual(decideRange('bytes=10-', size), { kind: 'partial', start: 10, end: 999 });
  assert.deepEqual(decideRange('bytes=-1', size), { kind: 'partial', start: 999, end: 999 });
  assert.deepEqual(decideRange('bytes=-5000', size), { kind: 'partial', start: 0, end: 999 });
  assert.deepEqual(decideRange('BYTES=1-2', size), { kind: 'partial', start: 1, end: 2 });
  assert.deepEqual(decideRange('bytes=1000-', size), { kind: 'unsatisfiable' });
  assert.deepEqual(decideRange('bytes=-0', size), { kind: 'unsatisfiable' });
  assert.deepEqual(decideRange('bytes=0-0', 0), { kind: 'unsatisfiable' });
  assert.deepEqual(decideRange('bytes=-5', 0), { kind: 'unsatisfiable' });
  for (const h of [
    'bytes=5-1',
    'bytes=a-b',
    'bytes=1-2,3-4',
    'pages=1-2',
    'bytes',
    'bytes=-',
    'bytes=--1',
    'bytes=1.5-2',
    'bytes=0x10-20',
    `bytes=0-${' '.repeat(300)}`,
  ]) {
    assert.deepEqual(decideRange(h, size), { kind: 'full' }, h);
  }
  // Ranges are always within the object.
  for (let i = 0; i < 2000; i++) {
    const s = Math.floor(Math.random() * 50);
    const a = Math.floor(Math.random() * 60);
    const b = a + Math.floor(Math.random() * 60);
    const d = decideRange(Math.random() < 0.2 ? `bytes=-${b}` : `bytes=${a}-${b}`, s);
    if (d.kind === 'partial') assert.ok(d.start >= 0 && d.start <= d.end && d.end < s);
  }
});

void test('decideRange: overflowing and garbage forms follow RFC 9110 (unsatisfiable 416, invalid ignored)', () => {
  const size = 1000;
  const huge = '9'.repeat(20); // > 2^64
  const past53 = String(2n ** 53n + 1n); // a Number would round this
  // Valid syntax, no byte of the object selected: 416.
  for (const h of [
    `bytes=${huge}-`,
    `bytes=${huge}-${huge}9`,
    `bytes=${past53}-`,
    `bytes=${'1'.repeat(16)}-`,
    'bytes=1000-1000',
    'bytes=1000-,2000-',
    `bytes=${huge}-, -0`,
    'bytes=-0,-0',
  ])
    assert.deepEqual(decideRange(h, size), { kind: 'unsatisfiable' }, h);
  // Valid syntax, clamped to the object: a huge last-pos or suffix means "to the end" / "all of it".
  assert.deepEqual(decideRange(`bytes=0-${huge}`, size), { kind: 'partial', start: 0, end: 999 });
  assert.deepEqual(decideRange(`bytes=10-${past53}`, size), { kind: 'partial', start: 10, end: 999 });
  assert.deepEqual(decideRange(`bytes=-${huge}`, size), { kind: 'partial', start: 0, end: 999 });
  assert.deepEqual(decideRange(`bytes=-${past53}`, size), { kind: 'partial', start: 0, end: 999 });
  assert.deepEqual(decideRange('bytes=, 0-9 ,', size), { kind: 'partial', start: 0, end: 9 });
  // A file larger than 2^32 still gets exact positions.
  const big = 5 * 2 ** 32;
  assert.deepEqual(decideRange('bytes=-1', big), { kind: 'partial', start: big - 1, end: big - 1 });
  assert.deepEqual(decideRange(`bytes=${big}-`, big), { kind: 'unsatisfiable' });
  // Several ranges with one satisfiable: the whole object (RFC 9110 14.2 lets a server ignore Range).
  assert.deepEqual(decideRange(`bytes=0-1,${huge}-`, size), { kind: 'full' });
  assert.deepEqual(decideRange(Array(60).fill('0-0').join(',').replace(/^/, 'bytes='), size), {
    kind: 'full',
  });
  // Syntactically invalid anywhere in the set: the header is ignored.
  for (const h of [
    'bytes=-5-',
    'bytes=--5',
    'bytes=-1-2',
    `bytes=${huge}-1`,
    `bytes=${huge}-,x`,
    'bytes=+5-',
    'bytes=5e3-',
    'bytes=1000-,abc',
    'bytes=,',
    'bytes=\u0660-',
    `bytes=${'9'.repeat(300)}-`,
  ])
    assert.deepEqual(decideRange(h, size), { kind: 'full' }, h);
});

void test('preconditions and If-Range follow RFC 9110 order', () => {
  const v = { etag: '"ABC"', lastModifiedMs: Date.UTC(2026, 0, 1, 12, 0, 0, 500) };
  const lm = new Date(v.lastModifiedMs).toUTCString();
  assert.equal(evaluatePreconditions({}, v), 'proceed');
  assert.equal(evaluatePreconditions({ 'if-match': '"ABC"' }, v), 'proceed');
  assert.equal(evaluatePreconditions({ 'if-match': 'W/"ABC"' }, v), 412);
  assert.equal(evaluatePreconditions({ 'if-match': '*' }, v), 'proceed');
  assert.equal(evaluatePreconditions({ 'if-none-match': 'W/"ABC"' }, v), 304);
  assert.equal(evaluatePreconditions({ 'if-none-match': '"x", "ABC"' }, v), 304);
  assert.equal(evaluatePreconditions({ 'if-none-match': '"x"', 'if-modified-since': lm }, v), 'proceed');
  assert.equal(evaluatePreconditions({ 'if-modified-since': lm }, v), 304);
  assert.equal(evaluatePreconditions({ 'if-modified-since': 'garbage' }, v), 'proceed');
  assert.equal(evaluatePreconditions({ 'if-unmodified-since': lm }, v), 'proceed');
  assert.equal(evaluatePreconditions({ 'if-unmodified-since': 'Thu, 01 Jan 2015 00:00:00 GMT' }, v), 412);
  assert.equal(ifRangeAllowsRange(undefined, v), true);
  assert.equal(ifRangeAllowsRange('"ABC"', v), true);
  assert.equal(ifRangeAllowsRange('W/"ABC"', v), false);
  assert.equal(ifRangeAllowsRange(lm, v), true);
  assert.equal(ifRangeAllowsRange('Thu, 01 Jan 2015 00:00:00 GMT', v), false);
  assert.equal(ifRangeAllowsRange('nonsense', v), false);
});

void test('parseContentPath maps only clean WSUS content URLs to a digest', () => {
  const hex = '2F88DF42DA48AA980FB748D13BAA2DE49CD154AB';
  assert.deepEqual(parseContentPath(`/Content/AB/${hex}.exe`), { ok: true, sha1: hex, extension: 'exe' });
  assert.deepEqual(parseContentPath(`/content/b/${hex.toLowerCase()}.EXE?x=1`), {
    ok: true,
    sha1: hex,
    extension: 'EXE',
  });
  assert.deepEqual(parseContentPath(`/Content/AB/${hex}`), { ok: false, status: 403 });
  assert.deepEqual(parseContentPath(`/Content/AB/${hex.slice(1)}.exe`), { ok: false, status: 404 });
  assert.deepEqual(parseContentPath(`/Content/AB/${hex}.ex.e`), { ok: false, status: 404 });
  assert.deepEqual(parseContentPath(`/Other/AB/${hex}.exe`), { ok: false, status: 404 });
  for (const p of [
    '/Content/../x',
    '/Content/%2e%2e/x',
    '/Content/a\\b',
    '/Content/a\0b',
    '//h/s',
    'http://h/Content/AB/x.exe',
    `/Content/é/${hex}.exe`,
    '/Content/' + 'a'.repeat(600),
  ]) {
    assert.deepEqual(parseContentPath(p), { ok: false, status: 400 }, p);
  }
});

void test('every update file type is served as opaque bytes (REAL .exe; .cab .msu .psf .wim .esd per WSUS/KB3159706)', () => {
  for (const ext of ['exe', 'EXE', 'cab', 'msu', 'psf', 'wim', 'esd', 'unknownext'])
    assert.equal(contentTypeFor(ext), 'application/octet-stream', ext);
});
