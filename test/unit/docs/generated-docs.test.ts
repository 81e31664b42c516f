import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  configDocPath,
  errorsDocPath,
  openApiPath,
  readmePath,
  renderConfigDoc,
  renderErrorsDoc,
  renderOpenApi,
  renderReadme,
} from '../../../scripts/gen-docs.js';
import { configFields } from '../../../src/config/index.js';
import { errorCatalogue } from '../../../src/errors.js';

const hint = 'regenerate with: npm run gen';

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

void test('docs/errors.md lists every PB_ERR_* code of src/errors.ts', () => {
  const doc = readFileSync(errorsDocPath, 'utf8');
  assert.equal(doc, renderErrorsDoc(), hint);
  for (const code of Object.keys(errorCatalogue)) assert.ok(doc.includes(`| \`${code}\` |`), code);
});

void test('docs/openapi.json is the document the admin server serves', async () => {
  const checkedIn = readFileSync(openApiPath, 'utf8');
  const served = await renderOpenApi();
  assert.equal(checkedIn, served, hint);
  const doc = JSON.parse(served) as { openapi: string; paths: Record<string, unknown> };
  assert.equal(doc.openapi, '3.1.0');
  assert.ok(Object.keys(doc.paths).length >= 30, 'the API routes are in it');
});
