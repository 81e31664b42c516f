import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { configDocPath, readmePath, renderConfigDoc, renderReadme } from '../../../scripts/gen-docs.js';
import { configFields } from '../../../src/config/index.js';

const hint = 'regenerate with: npx tsx scripts/gen-docs.ts';

void test('README configuration reference and exit codes match the schema and the error catalogue', () => {
  const readme = readFileSync(readmePath, 'utf8');
  assert.equal(readme, renderReadme(readme), hint);
  // The generated block really lists every key (guards against empty markers).
  for (const f of configFields)
    assert.ok(readme.includes(`| \`${f.iniKey}\` |`) && readme.includes(f.envName), f.iniPath);
});

void test('docs/configuration.md carries the current `config defaults` output', () => {
  const doc = readFileSync(configDocPath, 'utf8');
  assert.equal(doc, renderConfigDoc(doc), hint);
  assert.match(doc, /^http_port = 8530$/m);
});
