/**
 * The layer rules of scripts/layers.ts hold for src/: a violation names its rule and says why. Raw database
 * queries still outside src/storage are listed in scripts/layers-pending.json (issue 11 moves them into
 * repositories); that list may only shrink: a new site fails, and so does a listed one that is gone.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  checkImports,
  checkRawQueries,
  importsOf,
  pendingPath,
  scanRepository,
  type Violation,
} from '../../../scripts/layers.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const key = (v: Violation): string => `${v.file} ${v.rule}`;

function counts(violations: readonly Violation[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const v of violations) m.set(key(v), (m.get(key(v)) ?? 0) + 1);
  return m;
}

void test('src/ follows the layer rules (pending raw-query sites may only shrink)', () => {
  const { violations } = scanRepository(root);
  const pending = JSON.parse(readFileSync(pendingPath, 'utf8')) as Record<string, number>;
  const found = counts(violations);
  const problems: string[] = [];
  for (const v of violations)
    if (pending[key(v)] === undefined) problems.push(`${v.file}:${v.line}: [${v.rule}] ${v.message}`);
  for (const [k, allowed] of Object.entries(pending)) {
    const n = found.get(k) ?? 0;
    if (n > allowed) problems.push(`${k}: ${n} sites, more than the ${allowed} still pending`);
    if (n < allowed)
      problems.push(`${k}: ${n} sites left of ${allowed}: lower the count in scripts/layers-pending.json`);
  }
  assert.deepEqual(problems, [], problems.join('\n'));
});

void test('a planted violation of each rule is reported with its rule and reason', () => {
  const planted = [
    ...importsOf(root, 'src/protocol/soap/planted.ts', "import { x } from '../../client-service/index.js';"),
    ...importsOf(root, 'src/protocol/xml/planted.ts', "import { Kysely } from 'kysely';"),
    ...importsOf(root, 'src/http/planted.ts', "import { y } from '../fleet/groups-service.js';"),
    ...importsOf(root, 'src/fleet/planted.ts', "import type { Database } from '../storage/db/database.js';"),
    ...importsOf(root, 'src/reports/planted.ts', "import { sql } from 'kysely';"),
    ...importsOf(
      root,
      'src/fleet/ok.ts',
      "import { z } from '../storage/index.js';\nimport { e } from '../errors.js';",
    ),
  ];
  const rules = checkImports(planted).map((v) => `${v.file} ${v.rule}`);
  assert.deepEqual(rules.sort(), [
    'src/fleet/planted.ts storage-boundary',
    'src/http/planted.ts through-index',
    'src/protocol/soap/planted.ts pure-imports-pure',
    'src/protocol/xml/planted.ts pure-no-io',
    'src/protocol/xml/planted.ts storage-boundary',
    'src/reports/planted.ts storage-boundary',
  ]);
  const pure = checkImports(planted).find((v) => v.rule === 'pure-imports-pure')!;
  assert.match(pure.message, /pure layer .* imports client-service/);
  const raw = checkRawQueries(
    'src/fleet/planted.ts',
    "  await db.selectFrom('computer').selectAll().execute();\n",
  );
  assert.equal(raw.length, 1);
  assert.match(raw[0]!.message, /outside src\/storage/);
  assert.deepEqual(checkRawQueries('src/storage/db/x.ts', "db.selectFrom('computer')"), []);
});
