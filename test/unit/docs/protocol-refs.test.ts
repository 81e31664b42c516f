import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { rewrite } from '../../../scripts/rewrite-protocol-refs.js';

// Every protocol citation in code, tests and docs must lead a reader with a clone to the text it cites: the
// file exists under docs/protocol/ and holds a heading with the cited section number.

const root = fileURLToPath(new URL('../../../', import.meta.url));
const protocolDir = join(root, 'docs/protocol');
const self = relative(root, fileURLToPath(import.meta.url));
const script = 'scripts/rewrite-protocol-refs.ts';
const rerun = `run: npx tsx ${script}`;

/** Section numbers of one reference file, read from its headings (`## 1.4 …`, `### 1.6.2 …`, `## U3 …`). */
function sectionsOf(file: string): Set<string> {
  const found = new Set<string>();
  for (const [, n = ''] of readFileSync(join(protocolDir, file), 'utf8').matchAll(
    /^#+ §?(U?\d+(?:\.\d+)*)\.? /gm,
  ))
    found.add(n);
  return found;
}

const referenceFiles = readdirSync(protocolDir).filter((f) => f.endsWith('.md'));
const sections = new Map(referenceFiles.map((f) => [f, sectionsOf(f)]));

function* sourceFiles(path: string): Generator<string> {
  if (path === 'test/fixtures') return; // captured data, not prose
  if (statSync(join(root, path)).isDirectory()) {
    for (const name of readdirSync(join(root, path)).sort()) yield* sourceFiles(`${path}/${name}`);
  } else if (/\.(ts|mts|mjs|js|md)$/.test(path)) yield path;
}

const scanned = ['src', 'test', 'bench', 'scripts', 'docs', 'README.md'].flatMap((p) => [...sourceFiles(p)]);

/** A citation's section list: `§1.4`, `§1.6 item 9, §1.4`, `§1.7 and …`. */
const sectionList = String.raw`(?:(?:,| and)? §U?\d+(?:\.\d+)*(?: (?:items?|steps?) \d+(?:-\d+)?)?(?: \([a-z]\))?)*`;

/** Problems with one citation of `file` followed by `list` (the text after the file name). */
function check(file: string, list: string): string[] {
  const known = sections.get(file);
  if (known === undefined) return [`docs/protocol/${file} does not exist`];
  return [...list.matchAll(/§(U?\d+(?:\.\d+)*)/g)]
    .map(([, n = '']) => n)
    .filter((n) => !known.has(n))
    .map((n) => `docs/protocol/${file} has no section §${n}`);
}

function citationProblems(text: string): string[] {
  const problems: string[] = [];
  const cited = new RegExp(String.raw`docs/protocol/([\w.-]+\.md)(${sectionList})`, 'g');
  for (const [, file = '', list = ''] of text.matchAll(cited)) problems.push(...check(file, list));
  // A path out of the repository (the old brief lived next to the clone) cannot be followed from a clone.
  if (new RegExp(String.raw`\.\./shared\b|/work/shared\b`).test(text))
    problems.push('cites a path outside the repository');
  if (new RegExp(String.raw`\bprotocol(?:-upstream)?\.md\b`).test(text))
    problems.push(`cites the protocol brief outside the repository (${rerun})`);
  return problems;
}

void test('every protocol citation in src, test, bench, scripts and docs resolves inside docs/protocol/', () => {
  const problems: string[] = [];
  for (const path of scanned) {
    if (path === self || path === script || path.startsWith('docs/protocol/')) continue;
    readFileSync(join(root, path), 'utf8')
      .split('\n')
      .forEach((line, i) => problems.push(...citationProblems(line).map((p) => `${path}:${i + 1}: ${p}`)));
  }
  assert.deepEqual(problems, []);
});

void test('the reference files cite each other, the repository docs and fixture folders that exist', () => {
  const problems: string[] = [];
  const union = new Set([...sections.values()].flatMap((s) => [...s]));
  for (const file of referenceFiles) {
    const text = readFileSync(join(protocolDir, file), 'utf8');
    text.split('\n').forEach((line, i) => {
      const where = `docs/protocol/${file}:${i + 1}`;
      // `client.md §1.8` points into a sibling; a bare `§1.6.6` into the same file (the README's index: any file).
      const sibling = new RegExp(String.raw`(?<![\w/.-])([\w-]+\.md)\)?(${sectionList})`, 'g');
      for (const [, other = '', list = ''] of line.matchAll(sibling))
        if (list !== '') problems.push(...check(other, list).map((p) => `${where}: ${p}`));
      const bare = line.replace(sibling, '');
      for (const [, n = ''] of bare.matchAll(/§(U?\d+(?:\.\d+)*)/g)) {
        const ok = file === 'README.md' ? union.has(n) : sections.get(file)?.has(n);
        if (ok !== true) problems.push(`${where}: no section §${n} in ${file}`);
      }
      for (const [, link = ''] of line.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g))
        if (!existsSync(join(protocolDir, link))) problems.push(`${where}: broken link ${link}`);
      for (const [, path = ''] of line.matchAll(/`((?:test|src|docs)\/[\w./-]+?)\/?`/g))
        if (!existsSync(join(root, normalize(path)))) problems.push(`${where}: ${path} does not exist`);
      if (citationProblems(line).some((p) => !p.startsWith('docs/protocol/')))
        problems.push(`${where}: cites outside the repository`);
    });
  }
  assert.deepEqual(problems, []);
});

void test('the rewrite script maps old citations to sections that exist', () => {
  const old =
    'protocol.md 1.6 item 9, 1.4; protocol.md 1.9, 2.3; protocol.md 1.7 step 6, 3.8; protocol.md 5.1 items 10-11, 5.2; ' +
    'protocol.md 4.2 (b); protocol.md 3; protocol.md 1.6.12; protocol.md 0; protocol.md 6; protocol-upstream.md 3.2';
  const rewritten = rewrite(old);
  assert.equal(
    rewritten,
    'docs/protocol/client.md §1.6 item 9, §1.4; docs/protocol/client.md §1.9, docs/protocol/server-sync.md §2.3; ' +
      'docs/protocol/client.md §1.7 step 6, docs/protocol/update-xml.md §3.8; ' +
      'docs/protocol/security.md §5.1 items 10-11, §5.2; docs/protocol/captures.md §4.2 (b); ' +
      'docs/protocol/update-xml.md §3; docs/protocol/client.md §1.6.12; docs/protocol/README.md §0; ' +
      'docs/protocol/notes.md §6; docs/protocol/upstream.md §U3.2',
  );
  assert.deepEqual(citationProblems(rewritten), []);
  // The check itself: a planted missing section, a missing file and an outside path are each reported.
  assert.deepEqual(citationProblems('docs/protocol/client.md §1.99'), [
    'docs/protocol/client.md has no section §1.99',
  ]);
  assert.deepEqual(citationProblems('docs/protocol/nothing.md §1.4'), [
    'docs/protocol/nothing.md does not exist',
  ]);
  assert.equal(citationProblems('see ../shared/docs/x').length, 1);
  assert.equal(citationProblems('see protocol.md 1.4').length, 1);
});
