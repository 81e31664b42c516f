/** The per-input checks shared by the fuzzer and the regression replay. */
import assert from 'node:assert/strict';
import { AppError } from '../../../src/errors.js';
import { parseXml, soapRequestLimits, type XmlReadLimits } from '../../../src/protocol/xml/index.js';
import { parseXmlFast } from '../../../src/protocol/xml/fast-reader.js';
import { parseTextWithSaxes } from '../../../src/protocol/xml/reader.js';
import { decodeSoapRequest } from '../../../src/protocol/soap/index.js';

/** Small limits so that limit paths are hit often and iterations stay fast. */
export const fuzzLimits: XmlReadLimits = {
  ...soapRequestLimits,
  maxBytes: 64 * 1024,
  maxDepth: 40,
  maxElements: 4000,
};

/**
 * parseXml and decodeSoapRequest return or throw AppError only; when the fast path accepts, saxes accepts and
 * builds the same tree.
 */
export function checkOneInput(input: string): boolean {
  const fast = parseXmlFast(input, fuzzLimits);
  let saxes: unknown;
  try {
    saxes = parseTextWithSaxes(input, fuzzLimits);
  } catch (e) {
    if (!(e instanceof AppError))
      throw new Error(`saxes reader threw a non-AppError: ${String(e)}`, { cause: e });
    if (fast)
      throw new Error(`fast path accepted what saxes refuses (${e.code}: ${e.message})`, { cause: e });
  }
  if (fast) assert.deepStrictEqual(fast, saxes, 'fast path and saxes trees differ');
  for (const run of [
    () => parseXml(Buffer.from(input, 'utf8'), fuzzLimits),
    () =>
      decodeSoapRequest({
        body: Buffer.from(input, 'utf8'),
        contentType: 'text/xml; charset=utf-8',
        soapAction: '"x"',
        limits: fuzzLimits,
      }),
  ]) {
    try {
      run();
    } catch (e) {
      if (!(e instanceof AppError))
        throw new Error(`non-AppError: ${e instanceof Error ? e.stack : String(e)}`, { cause: e });
    }
  }
  return fast !== undefined;
}
