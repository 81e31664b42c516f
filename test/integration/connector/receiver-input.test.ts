/**
 * Untrusted input at the receiver and in the encoders: hostile multipart bodies, wrong checksums, parts
 * without a start, conflicting duplicates, stops with missing parts; CSV cells that would be formulas.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { buildConnectorReceiver, csvCell, endpoints } from '../../../src/connectors/index.js';
import { multipartBoundary, parseMultipart } from '../../../src/connectors/receiver/multipart.js';
import { tempDir } from './harness.js';

const runId = '0f0e0d0c-0000-4000-8000-000000000001';
const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

function form(fields: Record<string, string>, data: Buffer | undefined, boundary = 'b0undary'): Buffer {
  const parts: Buffer[] = [];
  for (const [k, v] of Object.entries(fields))
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`));
  if (data)
    parts.push(
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="data"; filename="p"\r\nContent-Type: application/x-ndjson\r\n\r\n`,
      ),
      data,
      Buffer.from('\r\n'),
    );
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return Buffer.concat(parts);
}

void test('CSV cells: formula starters are neutralised, quoting per RFC 4180', () => {
  assert.equal(csvCell('=1+1'), "'=1+1");
  assert.equal(csvCell('+x'), "'+x");
  assert.equal(csvCell('-x'), "'-x");
  assert.equal(csvCell('@SUM(A1)'), "'@SUM(A1)");
  assert.equal(csvCell('\tx'), "'\tx");
  assert.equal(csvCell('a,b'), '"a,b"');
  assert.equal(csvCell('say "hi"'), '"say ""hi"""');
  assert.equal(csvCell('line\nbreak'), '"line\nbreak"');
  assert.equal(csvCell('plain Ü 更新'), 'plain Ü 更新');
  assert.equal(csvCell(null), '');
  assert.equal(csvCell(5), '5');
  assert.equal(csvCell('\uD800x'), '\uFFFDx', 'a lone surrogate becomes U+FFFD');
});

void test('multipart parser: boundaries and hostile bodies', () => {
  assert.equal(multipartBoundary('multipart/form-data; boundary=abc'), 'abc');
  assert.equal(multipartBoundary('multipart/form-data; charset=utf-8; boundary="a b"'), 'a b');
  assert.throws(() => multipartBoundary('multipart/form-data'), /boundary/);
  assert.throws(() => multipartBoundary(`multipart/form-data; boundary=${'x'.repeat(71)}`), /boundary/);
  const ok = parseMultipart(form({ a: '1' }, Buffer.from('x\r\n--not-the-boundary')), 'b0undary');
  assert.deepEqual(
    ok.map((f) => [f.name, f.filename, f.data.toString()]),
    [
      ['a', undefined, '1'],
      ['data', 'p', 'x\r\n--not-the-boundary'],
    ],
  );
  const bad = [
    Buffer.from('no boundary at all'),
    Buffer.from('--b0undary\r\nContent-Disposition: form-data; name="a"\r\n\r\nunterminated'),
    Buffer.from('--b0undary\r\nX-Nope: 1\r\n\r\nv\r\n--b0undary--'),
    Buffer.from(
      `--b0undary\r\nContent-Disposition: form-data; name="a"\r\n\r\n${'v'.repeat(5000)}\r\n--b0undary--`,
    ),
    Buffer.from(
      `--b0undary\r\nContent-Disposition: form-data; name="a"${' '.repeat(9000)}\r\n\r\nv\r\n--b0undary--`,
    ),
    form(Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`f${i}`, 'v'])), undefined),
  ];
  for (const b of bad) assert.throws(() => parseMultipart(b, 'b0undary'), /multipart body/);
});

void test('receiver: checksums, order, duplicates and missing parts are enforced', async (t) => {
  const app = await buildConnectorReceiver({ dataDir: tempDir(t) });
  t.after(() => app.close());
  const data = Buffer.from('{"type":"update"}\n');
  const fields = {
    contractVersion: '1',
    runId,
    instance: 'main',
    group: 'Servers',
    partIndex: '0',
    partTotal: '2',
    contentType: 'application/x-ndjson',
    sha256: sha(data),
  };
  const post = (body: Buffer, boundary = 'b0undary') =>
    app.inject({
      method: 'POST',
      url: endpoints.parts,
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
      payload: body,
    });
  // A part before the start event.
  assert.equal((await post(form(fields, data))).statusCode, 409);
  const start = {
    contractVersion: 1,
    runId,
    instance: 'main',
    group: 'Servers',
    groupId: 'g',
    mode: 'full',
    since: null,
    until: '2026-01-01T00:00:00.000Z',
    format: 'jsonl',
    items: ['updates'],
    startedAt: '2026-01-01T00:00:00.000Z',
    connector: { name: 'x', version: '1' },
  };
  assert.equal((await app.inject({ method: 'POST', url: endpoints.start, payload: start })).statusCode, 200);
  assert.equal(
    (await app.inject({ method: 'POST', url: endpoints.start, payload: { ...start, extra: 1 } })).statusCode,
    400,
    'unknown fields are refused',
  );
  assert.equal(
    (await app.inject({ method: 'POST', url: endpoints.start, payload: { ...start, mode: 'incremental' } }))
      .statusCode,
    409,
  );
  assert.equal((await post(form({ ...fields, sha256: sha('other') }, data))).statusCode, 422);
  assert.equal((await post(form({ ...fields, runId: '../../etc' }, data))).statusCode, 400);
  assert.equal((await post(form({ ...fields, partIndex: '2' }, data))).statusCode, 400);
  assert.equal((await post(form(fields, undefined))).statusCode, 400);
  assert.equal((await post(Buffer.from('garbage'))).statusCode, 400);
  const first = await post(form(fields, data));
  assert.deepEqual(first.json(), { stored: true, duplicate: false });
  assert.deepEqual((await post(form(fields, data))).json(), { stored: true, duplicate: true });
  const other = Buffer.from('{"type":"x"}\n');
  assert.equal((await post(form({ ...fields, sha256: sha(other) }, other))).statusCode, 409);
  const stop = {
    contractVersion: 1,
    runId,
    instance: 'main',
    group: 'Servers',
    parts: 2,
    bytes: data.length * 2,
    sha256: sha(Buffer.concat([data, data])),
    records: { updates: 2, computers: 0, statuses: 0 },
    finishedAt: '2026-01-01T00:00:01.000Z',
  };
  const missing = await app.inject({ method: 'POST', url: endpoints.stop, payload: stop });
  assert.equal(missing.statusCode, 409);
  assert.deepEqual(missing.json<{ missing: number[] }>().missing, [1]);
  assert.equal((await post(form({ ...fields, partIndex: '1' }, data))).statusCode, 200);
  const wrong = await app.inject({
    method: 'POST',
    url: endpoints.stop,
    payload: { ...stop, sha256: sha('x') },
  });
  assert.equal(wrong.statusCode, 422);
  const acked = await app.inject({ method: 'POST', url: endpoints.stop, payload: stop });
  assert.deepEqual(acked.json(), { acknowledged: true });
  assert.deepEqual((await app.inject({ method: 'POST', url: endpoints.stop, payload: stop })).json(), {
    acknowledged: true,
  });
});
