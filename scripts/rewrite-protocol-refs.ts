/**
 * Rewrites citations of the protocol brief that lived outside the repository (`protocol.md 1.4`,
 * `protocol-upstream.md 3.2`) into citations of the in-repo reference (`docs/protocol/client.md §1.4`,
 * `docs/protocol/upstream.md §U3.2`). Only the citation text changes, so it can be re-run after merging branches
 * that still carry the old form: `npx tsx scripts/rewrite-protocol-refs.ts`. Exits 1 (and lists them) when a
 * mention is left that it cannot map; test/unit/docs/protocol-refs.test.ts then fails too.
 */
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const self = relative(root, fileURLToPath(import.meta.url));

/** The in-repo file holding a top-level section of the old brief (its section numbers were kept). */
function fileOf(section: string, upstream: boolean): string {
  if (upstream) return 'upstream.md';
  const top = Number(section.split('.')[0]);
  if (top === 0) return 'README.md';
  if (top === 1) return 'client.md';
  if (top === 2) return 'server-sync.md';
  if (top === 3) return 'update-xml.md';
  if (top === 4) return 'captures.md';
  if (top === 5) return 'security.md';
  return 'notes.md';
}

const ref = String.raw`\d+(?:\.\d+)*(?: (?:items?|steps?) \d+(?:-\d+)?)?`;
const citation = new RegExp(
  String.raw`\bprotocol(-upstream)?\.md ((?:${ref})(?:(?:, | and )(?:${ref}))*)`,
  'g',
);
const part = new RegExp(String.raw`(^|, | and )(${ref})`, 'g');

/** Mentions without a section number (or wrapped before it), mapped by hand to the section they meant. */
const phrases: [string, string][] = [
  ['taken from protocol.md as written', 'taken from docs/protocol/client.md §1.7 as written'],
  ['protocol.md names neither', 'docs/protocol/client.md §1.7 names neither'],
  ['protocol.md says 248 bytes', 'docs/protocol/client.md §1.4 says 248 bytes'],
  ['WUA accepts that (protocol.md\n  1.1)', 'WUA accepts that\n  (docs/protocol/client.md §1.1)'],
];

export function rewrite(text: string): string {
  let out = text;
  for (const [from, to] of phrases) out = out.split(from).join(to);
  return out.replace(citation, (_m, upstream: string | undefined, list: string) => {
    let previous = '';
    return list.replace(part, (_p, sep: string, r: string) => {
      const section = r.split(' ')[0] ?? r;
      const file = fileOf(section, upstream !== undefined);
      const mark = upstream !== undefined ? `§U${r}` : `§${r}`;
      const cited = file === previous ? mark : `docs/protocol/${file} ${mark}`;
      previous = file;
      return sep + cited;
    });
  });
}

const scanned = ['src', 'test', 'bench', 'scripts', 'docs', 'README.md'];
const skipped = new Set(['test/fixtures', 'docs/protocol', self, 'test/unit/docs/protocol-refs.test.ts']);

function* files(path: string): Generator<string> {
  if (skipped.has(path)) return;
  if (statSync(join(root, path)).isDirectory()) {
    for (const name of readdirSync(join(root, path)).sort()) yield* files(`${path}/${name}`);
  } else if (/\.(ts|mts|mjs|js|md)$/.test(path)) yield path;
}

function main(): void {
  const leftover: string[] = [];
  for (const path of scanned.flatMap((p) => [...files(p)])) {
    const before = readFileSync(join(root, path), 'utf8');
    const after = rewrite(before);
    if (after !== before) writeFileSync(join(root, path), after);
    after.split('\n').forEach((line, i) => {
      if (/\bprotocol(-upstream)?\.md\b/.test(line)) leftover.push(`${path}:${i + 1}: ${line.trim()}`);
    });
  }
  if (leftover.length > 0) {
    console.error(`citations left to map by hand (add them to 'phrases'):\n${leftover.join('\n')}`);
    process.exitCode = 1;
  }
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) main();
