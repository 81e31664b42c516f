/**
 * Regenerates the parts of README.md and docs/configuration.md that come from code: the configuration
 * reference (from the zod schema) and the exit-code table (from src/errors.ts). A test runs the same
 * functions and fails when the checked-in files differ. Run: `npx tsx scripts/gen-docs.ts`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderDefaultsIni, renderReferenceMarkdown } from '../src/config/index.js';
import { errorCatalogue } from '../src/errors.js';

export const readmePath = fileURLToPath(new URL('../README.md', import.meta.url));
export const configDocPath = fileURLToPath(new URL('../docs/configuration.md', import.meta.url));

const exitMeaning: Record<number, string> = {
  0: 'success',
  64: 'invalid command line (EX_USAGE)',
  65: 'invalid input data (EX_DATAERR)',
  66: 'input not found (EX_NOINPUT)',
  69: 'a service or port is unavailable (EX_UNAVAILABLE)',
  70: 'internal error (EX_SOFTWARE); rerun with --debug for the stack trace',
  73: 'cannot create a file or directory (EX_CANTCREAT)',
  75: 'temporary failure, try again later (EX_TEMPFAIL)',
  76: 'the remote side broke the protocol or TLS failed (EX_PROTOCOL)',
  74: 'database or I/O error (EX_IOERR)',
  77: 'permission denied: missing or refused credentials or authorization (EX_NOPERM)',
  78: 'configuration is invalid (EX_CONFIG)',
};

/**
 * One row per exit code (not per error code), so that adding an error code with an existing exit code
 * needs no README change; the code-by-code list is src/errors.ts.
 */
export function renderExitCodes(): string {
  const exits = [...new Set(Object.values(errorCatalogue).map((e) => e.exit))].sort((a, b) => a - b);
  const rows = ['| exit code | meaning |', '|---|---|', `| 0 | ${exitMeaning[0]} |`];
  for (const exit of exits) {
    const meaning = exitMeaning[exit];
    if (meaning === undefined) throw new Error(`exit code ${exit} has no meaning in scripts/gen-docs.ts`);
    rows.push(`| ${exit} | ${meaning} |`);
  }
  return `${rows.join('\n')}\n`;
}

/** Replaces the text between `<!-- generated:NAME -->` and `<!-- /generated:NAME -->`. */
export function replaceGenerated(doc: string, name: string, content: string): string {
  const start = `<!-- generated:${name} -->`;
  const end = `<!-- /generated:${name} -->`;
  const i = doc.indexOf(start);
  const j = doc.indexOf(end);
  if (i < 0 || j < i) throw new Error(`markers for ${name} not found`);
  return `${doc.slice(0, i + start.length)}\n${content}${doc.slice(j)}`;
}

export function renderReadme(current: string): string {
  let doc = replaceGenerated(current, 'config-reference', renderReferenceMarkdown());
  doc = replaceGenerated(doc, 'exit-codes', renderExitCodes());
  return doc;
}

export function renderConfigDoc(current: string): string {
  return replaceGenerated(current, 'config-defaults', `\`\`\`ini\n${renderDefaultsIni()}\`\`\`\n`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(readmePath, renderReadme(readFileSync(readmePath, 'utf8')));
  writeFileSync(configDocPath, renderConfigDoc(readFileSync(configDocPath, 'utf8')));
  console.log('README.md and docs/configuration.md regenerated');
}
