import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mapCliError } from '../../../src/cli/index.js';
import { AppError } from '../../../src/errors.js';

void test('AppError: message and its catalogue exit code, no stack', () => {
  const m = mapCliError(new AppError('PB_ERR_DB', 'cannot open sqlite database: disk I/O error'), {
    debug: false,
  });
  assert.equal(m.exitCode, 74);
  assert.equal(m.text, 'patchbay: PB_ERR_DB: cannot open sqlite database: disk I/O error\n');
});

void test('unexpected errors: PB_ERR_INTERNAL exit 70, stack only with --debug, credentials in URLs redacted', () => {
  const err = new TypeError('boom at http://u:secret@host/');
  const quiet = mapCliError(err, { debug: false });
  assert.equal(quiet.exitCode, 70);
  assert.match(
    quiet.text,
    /^patchbay: PB_ERR_INTERNAL: unexpected error: boom at http:\/\/u:\[redacted\]@host\//,
  );
  assert.doesNotMatch(quiet.text, /error-mapper\.test\.ts/);
  assert.ok(!quiet.text.includes('secret'));
  const loud = mapCliError(err, { debug: true });
  assert.match(loud.text, /error-mapper\.test\.ts/);
  assert.ok(!loud.text.includes('secret'));
});
