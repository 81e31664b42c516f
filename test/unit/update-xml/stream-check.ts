/** The per-input check shared by the streaming-reader fuzzer and its regression replay. */
import assert from 'node:assert/strict';
import { AppError } from '../../../src/errors.js';
import {
  parseTextWithSaxes,
  updateDocumentLimits,
  type XmlReadLimits,
} from '../../../src/protocol/xml/index.js';
import {
  deriveFragments,
  interpretUpdateTree,
  parseUpdateDocument,
  type UpdateDocument,
} from '../../../src/protocol/update-xml/index.js';
import { streamedPartsOf } from '../../../src/protocol/update-xml/streamed-parts.js';

/** Small limits so that limit paths are hit often and iterations stay fast. */
export const streamFuzzLimits: XmlReadLimits = {
  ...updateDocumentLimits,
  maxBytes: 96 * 1024,
  maxDepth: 40,
  maxElements: 4000,
  maxTextLength: 16 * 1024,
};

type Outcome = { doc: UpdateDocument } | { error: AppError };

function outcome(run: () => UpdateDocument): Outcome {
  try {
    return { doc: run() };
  } catch (e) {
    if (!(e instanceof AppError))
      throw new Error(`non-AppError: ${e instanceof Error ? e.stack : String(e)}`, { cause: e });
    return { error: e };
  }
}

function fields(d: UpdateDocument): Record<string, unknown> {
  const { root: _r, original: _o, originalEncoding: _e, ...rest } = d;
  return rest;
}

/**
 * parseUpdateDocument (which streams when the scanner accepts) against the reference built from the saxes
 * tree (interpretUpdateTree + tree-based fragments): the same error code and reason, or the same record and
 * byte-identical fragments. Returns whether the streaming path was taken.
 */
export function checkStreamedDocument(input: string): boolean {
  const got = outcome(() => parseUpdateDocument(input, { limits: streamFuzzLimits }));
  const want = outcome(() =>
    interpretUpdateTree(parseTextWithSaxes(input, streamFuzzLimits), input, 'string'),
  );
  if ('error' in want) {
    assert.ok('error' in got, `streamed reader accepted what the reference refuses (${want.error.message})`);
    assert.equal(got.error.code, want.error.code, got.error.message);
    assert.equal(got.error.detail?.reason, want.error.detail?.reason, got.error.message);
    return false;
  }
  if ('error' in got) assert.fail(`streamed reader refused what the reference accepts: ${got.error.message}`);
  assert.deepStrictEqual(fields(got.doc), fields(want.doc), 'records differ');
  assert.deepStrictEqual(deriveFragments(got.doc), deriveFragments(want.doc), 'fragments differ');
  const streamed = streamedPartsOf(got.doc) !== undefined;
  // The compatible path: the full tree on demand, equal to the reference tree.
  if (streamed) assert.deepStrictEqual(got.doc.root, want.doc.root, 'on-demand tree differs');
  return streamed;
}
