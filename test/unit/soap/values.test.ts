import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AppError } from '../../../src/errors.js';
import { parseXml } from '../../../src/protocol/xml/index.js';
import {
  fixedBase64Parser,
  parseBoolean,
  parseDateTime,
  parseGuid,
  parseInt32,
  readArray,
  readInt32Array,
  readOptional,
  readRequired,
} from '../../../src/protocol/soap/index.js';

function param(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof AppError && e.code === 'PB_ERR_INVALID_PARAMETER', String(e));
    return String(e.detail?.['parameter']);
  }
  assert.fail('did not throw');
}

const ns = 'urn:op';
const doc = (inner: string) =>
  parseXml(
    `<p xmlns="${ns}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:soapenc="http://schemas.xmlsoap.org/soap/encoding/" xmlns:xsd="http://www.w3.org/2001/XMLSchema">${inner}</p>`,
  );

void test('arrays: literal and SOAP-encoded, empty = [], absent or nil = undefined, limit names the parameter', () => {
  const p = doc(
    '<lit><int>1</int><int> -2 </int></lit><enc soapenc:arrayType="xsd:int[2]"><item xsi:type="xsd:int">3</item><x>4</x></enc><empty/><nil xsi:nil="true"/>',
  );
  const o = { maxLength: 2 };
  assert.deepEqual(readArray(p, ns, 'lit', 'lit', parseInt32, o), [1, -2]);
  assert.deepEqual([...readInt32Array(p, ns, 'enc', 'enc', o)!], [3, 4]);
  assert.deepEqual(readArray(p, ns, 'empty', 'empty', parseInt32, o), []);
  assert.equal(readArray(p, ns, 'absent', 'absent', parseInt32, o), undefined);
  assert.equal(readArray(p, ns, 'nil', 'nil', parseInt32, o), undefined);
  assert.equal(
    param(() => readArray(p, ns, 'lit', 'parameters.X', parseInt32, { maxLength: 1 })),
    'parameters.X',
  );
  // a declared size above the limit is refused before any item is read
  const big = doc('<enc soapenc:arrayType="xsd:int[1000000000]"><item>1</item></enc>');
  assert.equal(
    param(() => readInt32Array(big, ns, 'enc', 'p.enc', o)),
    'p.enc',
  );
  // a wrong item in a namespace we do not expect is still an item (names do not matter), a bad value is refused
  assert.equal(
    param(() => readArray(doc('<a><int>x</int></a>'), ns, 'a', 'p.a', parseInt32, o)),
    'p.a',
  );
  // a literal array in another namespace is not the parameter
  assert.equal(
    readArray(doc('<a xmlns="urn:evil"><int>1</int></a>'), ns, 'a', 'a', parseInt32, o),
    undefined,
  );
});

void test('scalars: int32 range, GUID, boolean, base64 of fixed length, .NET dateTime forms', () => {
  assert.equal(parseInt32('2147483647', 'p'), 2147483647);
  assert.equal(parseInt32('-2147483648', 'p'), -2147483648);
  assert.equal(parseInt32('+007', 'p'), 7);
  for (const bad of ['2147483648', '-2147483649', '1e3', '', '0x10', '99999999999999999999', '1.0', ' '])
    assert.equal(
      param(() => parseInt32(bad, 'p.i')),
      'p.i',
      bad,
    );
  assert.equal(
    parseGuid(' 8F0AC6A8-5B0A-4D4B-9B4A-000000000001 ', 'g'),
    '8f0ac6a8-5b0a-4d4b-9b4a-000000000001',
  );
  assert.equal(
    param(() => parseGuid('{8f0ac6a8-5b0a-4d4b-9b4a-000000000001}', 'g')),
    'g',
  );
  assert.deepEqual(
    ['true', 'false', '1', '0', ' true '].map((b) => parseBoolean(b, 'b')),
    [true, false, true, false, true],
  );
  assert.equal(
    param(() => parseBoolean('True', 'b')),
    'b',
  );
  const sha1 = fixedBase64Parser(20);
  assert.equal(
    sha1('2jmj7l5rSw0yVb/vlWAYkK/YBwk=', 'd').toString('hex'),
    'da39a3ee5e6b4b0d3255bfef95601890afd80709',
  );
  assert.equal(
    param(() => sha1('AAAA', 'd')),
    'd',
  );
  assert.equal(
    param(() => sha1('not base64!', 'd')),
    'd',
  );
  const cases: [string, string][] = [
    ['2026-10-04T16:03:35.9967236Z', '2026-10-04T16:03:35.996Z'],
    ['2026-10-04T15:03:36Z', '2026-10-04T15:03:36.000Z'],
    ['2026-10-04T13:17:07.59Z', '2026-10-04T13:17:07.590Z'],
    ['2026-10-04T13:17:07.5', '2026-10-04T13:17:07.500Z'],
    ['2026-10-04T18:00:00+02:00', '2026-10-04T16:00:00.000Z'],
  ];
  for (const [inp, iso] of cases) assert.equal(parseDateTime(inp, 't').toISOString(), iso);
  for (const bad of [
    '2026-02-30T00:00:00Z',
    '2026-10-04',
    '2026-10-04T24:00:00Z',
    '2026-10-04T00:00:00.12345678Z',
    'x',
  ])
    assert.equal(
      param(() => parseDateTime(bad, 't')),
      't',
      bad,
    );
});

void test('readOptional / readRequired', () => {
  const p = doc('<b>true</b><n xsi:nil="true"/>');
  assert.equal(readOptional(p, ns, 'b', 'b', parseBoolean), true);
  assert.equal(readOptional(p, ns, 'n', 'n', parseBoolean), undefined);
  assert.equal(readOptional(p, ns, 'zz', 'zz', parseBoolean), undefined);
  assert.equal(
    param(() => readRequired(p, ns, 'zz', 'parameters.zz', parseBoolean)),
    'parameters.zz',
  );
});
