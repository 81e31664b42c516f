/**
 * The layer rules of docs/architecture.md as code, and the module graph they are checked on.
 *
 *   npx tsx scripts/layers.ts            the module graph (who imports whom, how many import lines) and violations
 *   npx tsx scripts/layers.ts --check    only the violations; exit 1 when there is any (test/unit/architecture runs it)
 *
 * A module is a top-level folder of src/ (src/protocol/<codec> counts as its own module, as does src/catalog's
 * whole tree), plus the two single files main.ts (composition root) and errors.ts (the error catalogue).
 * The rules are an allowlist: anything not allowed is a violation, so a new folder or a new import direction
 * is a decision someone writes down here, not an accident.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Violations not fixed yet (issue 11), by "file rule" with their count; test/unit/docs/layers.test.ts lets it only shrink. */
export const pendingPath = fileURLToPath(new URL('./layers-pending.json', import.meta.url));

export interface ImportLine {
  /** Importing file, relative to the repository root with forward slashes. */
  readonly file: string;
  readonly line: number;
  /** The specifier as written. */
  readonly specifier: string;
  /** Resolved repository-relative target for relative specifiers; undefined for packages and node: builtins. */
  readonly target: string | undefined;
}

export interface Violation {
  readonly rule: string;
  readonly file: string;
  readonly line: number;
  readonly message: string;
}

/** Pure layers: wire codecs, business rules and the in-memory catalog. No I/O, no adapters. */
const pureModules = new Set(['domain', 'catalog', 'errors']);
const ioPackages = ['pg', 'better-sqlite3', 'kysely', 'fastify', 'undici', 'pino', 'commander'];

export function moduleOf(file: string): string | undefined {
  const parts = file.split('/');
  if (parts[0] !== 'src') return undefined;
  if (parts.length === 2) return parts[1]!.replace(/\.ts$/, '');
  if (parts[1] === 'protocol' && parts.length >= 4) return `protocol/${parts[2]}`;
  return parts[1];
}

function isPure(module: string): boolean {
  return pureModules.has(module) || module.startsWith('protocol/');
}

/** The file other modules must import a module through. */
function entryOf(module: string): string {
  if (module === 'main' || module === 'errors') return `src/${module}.ts`;
  return `src/${module}/index.ts`;
}

const importPattern =
  /(?:^|[;\s])(?:import|export)\s[^'"]*?\sfrom\s*['"]([^'"]+)['"]|(?:^|[;\s])import\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

export function importsOf(root: string, file: string, text: string): ImportLine[] {
  const out: ImportLine[] = [];
  // Imports are statements at the start of a line in this code base (prettier); comments are skipped.
  const lines = text.split('\n');
  let statement = '';
  let startLine = 0;
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    const trimmed = raw.trim();
    if (statement === '' && !/^(import|export)\b/.test(trimmed) && !trimmed.includes('import(')) continue;
    if (statement === '') startLine = i + 1;
    statement += ` ${trimmed}`;
    const complete = /['"]\s*\)?\s*;?\s*$/.test(trimmed) || trimmed.includes('import(');
    if (!complete) continue;
    importPattern.lastIndex = 0;
    for (let m = importPattern.exec(statement); m !== null; m = importPattern.exec(statement)) {
      const specifier = (m[1] ?? m[2] ?? m[3])!;
      const target = specifier.startsWith('.')
        ? relative(root, resolve(dirname(join(root, file)), specifier))
            .split(sep)
            .join('/')
            .replace(/\.js$/, '.ts')
        : undefined;
      out.push({ file, line: startLine, specifier, target });
    }
    statement = '';
  }
  return out;
}

export function checkImports(imports: readonly ImportLine[]): Violation[] {
  const violations: Violation[] = [];
  for (const imp of imports) {
    const from = moduleOf(imp.file);
    if (from === undefined) continue;
    const at = { file: imp.file, line: imp.line };
    const pkg = imp.target === undefined ? imp.specifier.replace(/^node:/, '').split('/')[0]! : undefined;
    if (pkg !== undefined) {
      if (isPure(from) && ioPackages.includes(pkg)) {
        violations.push({
          rule: 'pure-no-io',
          ...at,
          message: `${from} is a pure layer and imports '${imp.specifier}': I/O libraries belong in adapters`,
        });
      }
      if (pkg === 'kysely' && from !== 'storage') {
        violations.push({
          rule: 'storage-boundary',
          ...at,
          message: `${from} imports kysely: queries live in src/storage repositories; declare a port instead`,
        });
      }
      continue;
    }
    const to = moduleOf(imp.target!);
    if (to === undefined || to === from) continue;
    if (isPure(from) && !isPure(to)) {
      violations.push({
        rule: 'pure-imports-pure',
        ...at,
        message: `${from} is a pure layer (protocol, domain, catalog, errors) and imports ${to}`,
      });
    }
    if (to === 'storage' && imp.target!.startsWith('src/storage/db/')) {
      violations.push({
        rule: 'storage-boundary',
        ...at,
        message: `${from} reaches into src/storage/db (${imp.specifier}): use the storage index and a port`,
      });
    } else if (imp.target !== entryOf(to)) {
      violations.push({
        rule: 'through-index',
        ...at,
        message: `${from} imports ${imp.specifier}, inside ${to}: other modules are reached only through ${entryOf(to)}`,
      });
    }
  }
  return violations;
}

/** Query-builder calls that mark a database query written outside src/storage. */
const rawQueryPattern =
  /\.(selectFrom|insertInto|updateTable|deleteFrom|replaceInto|mergeInto)\(|\bsql(<[^>]*>)?`/;

export function checkRawQueries(file: string, text: string): Violation[] {
  if (moduleOf(file) === undefined || moduleOf(file) === 'storage') return [];
  const out: Violation[] = [];
  text.split('\n').forEach((line, i) => {
    const code = line.replace(/\/\/.*$/, '');
    if (/^\s*(\*|\/\*)/.test(line) || !rawQueryPattern.test(code)) return;
    out.push({
      rule: 'storage-boundary',
      file,
      line: i + 1,
      message: `a database query outside src/storage: move it into a repository method (contract-tested on both databases)`,
    });
  });
  return out;
}

function listSources(root: string, dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(root, dir)).sort()) {
    const rel = `${dir}/${name}`;
    if (statSync(join(root, rel)).isDirectory()) out.push(...listSources(root, rel));
    else if (name.endsWith('.ts')) out.push(rel);
  }
  return out;
}

export interface RepositoryScan {
  readonly imports: ImportLine[];
  readonly violations: Violation[];
}

export function scanRepository(root: string): RepositoryScan {
  const imports: ImportLine[] = [];
  const violations: Violation[] = [];
  for (const file of listSources(root, 'src')) {
    const text = readFileSync(join(root, file), 'utf8');
    imports.push(...importsOf(root, file, text));
    violations.push(...checkRawQueries(file, text));
  }
  return { imports, violations: [...checkImports(imports), ...violations] };
}

/** Edges between modules with the number of import lines behind each. */
export function moduleGraph(imports: readonly ImportLine[]): Map<string, Map<string, number>> {
  const graph = new Map<string, Map<string, number>>();
  for (const imp of imports) {
    if (imp.target === undefined) continue;
    const from = moduleOf(imp.file);
    const to = moduleOf(imp.target);
    if (from === undefined || to === undefined || from === to) continue;
    const edges = graph.get(from) ?? new Map<string, number>();
    edges.set(to, (edges.get(to) ?? 0) + 1);
    graph.set(from, edges);
  }
  return graph;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
  const { imports, violations } = scanRepository(root);
  if (!process.argv.includes('--check')) {
    console.log('module graph (importer -> imported: import lines)');
    for (const [from, edges] of [...moduleGraph(imports)].sort(([a], [b]) => a.localeCompare(b))) {
      const list = [...edges].sort(([a], [b]) => a.localeCompare(b)).map(([to, n]) => `${to}:${n}`);
      console.log(`  ${from.padEnd(22)} -> ${list.join(' ')}`);
    }
    const byRule = new Map<string, number>();
    for (const v of violations) byRule.set(v.rule, (byRule.get(v.rule) ?? 0) + 1);
    console.log(
      `violations: ${violations.length} (${[...byRule].map(([r, n]) => `${r} ${n}`).join(', ') || 'none'})`,
    );
  }
  for (const v of violations) console.log(`${v.file}:${v.line}: [${v.rule}] ${v.message}`);
  if (process.argv.includes('--check') && violations.length > 0) process.exit(1);
}
