/**
 * One ContentMode: `[content] mode` accepts exactly the domain's modes, so the config reference, the loader and
 * every consumer (content download, file locations, sync engine, admin views) agree on the set.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fieldBySchemaPath } from '../../../src/config/keys.js';
import { contentModes } from '../../../src/domain/index.js';

void test('[content] mode offers exactly the domain ContentModes, approved by default', () => {
  const field = fieldBySchemaPath('content', 'mode');
  assert.deepEqual(field?.meta.values, contentModes);
  assert.deepEqual([...contentModes], ['approved', 'all', 'none']);
  assert.equal(field?.meta.defaultText, 'approved');
});
