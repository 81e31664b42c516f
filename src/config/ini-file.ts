/**
 * The hardened INI reading shared by every INI file Patchbay reads (`patchbay.ini`, the connector's
 * `connector.ini`): the file is untrusted input, so it is size-limited, strict UTF-8 without NUL bytes,
 * `__proto__`-style section and key names are refused, and a key set twice is reported instead of the
 * last one winning quietly. Schema-specific checks (unknown keys, values) stay with each loader.
 */
import { open } from 'node:fs/promises';
import ini from 'ini';
import type { ConfigProblem } from './problems.js';

/** Names that would reach Object.prototype if used as object keys. */
export const forbiddenIniNames: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Reads a configuration file as text; every problem is pushed as a `(file)` problem and undefined returned.
 * A leading BOM is dropped (Windows editors write one).
 */
export async function readIniText(
  file: string,
  problems: ConfigProblem[],
  maxBytes: number,
): Promise<string | undefined> {
  const fileProblem = (message: string) => problems.push({ path: '(file)', message, source: file });
  let handle;
  try {
    handle = await open(file, 'r');
  } catch (e) {
    fileProblem(`cannot open the configuration file: ${errnoText(e)}`);
    return undefined;
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) {
      fileProblem('not a regular file');
      return undefined;
    }
    if (st.size > maxBytes) {
      fileProblem(`file is ${st.size} bytes; the limit is ${maxBytes} bytes`);
      return undefined;
    }
    // Read at most limit+1 bytes: the file may grow between stat and read.
    const buf = Buffer.alloc(maxBytes + 1);
    const { bytesRead } = await handle.read(buf, 0, buf.length, 0);
    if (bytesRead > maxBytes) {
      fileProblem(`file is larger than the limit of ${maxBytes} bytes`);
      return undefined;
    }
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(buf.subarray(0, bytesRead));
    } catch {
      fileProblem('file is not valid UTF-8 text');
      return undefined;
    }
    if (text.includes('\0')) {
      fileProblem('file contains NUL bytes; it is not a text file');
      return undefined;
    }
    return text.startsWith('\uFEFF') ? text.slice(1) : text;
  } finally {
    await handle.close();
  }
}

export function unquoteIni(s: string): string {
  const t = s.trim();
  if (t.length >= 2 && ((t.startsWith('"') && t.endsWith('"')) || (t.startsWith("'") && t.endsWith("'")))) {
    return t.slice(1, -1).trim();
  }
  return t;
}

/**
 * A line scan before `ini` parses the text: `ini` silently drops `__proto__` and lets a repeated key win
 * quietly, and knows no line numbers. Returns the line of each `section.key` for messages, and whether a
 * section header is malformed (then the keys below it cannot be placed, so the file is not parsed further).
 */
export function scanIniLines(
  text: string,
  fileName: string,
  problems: ConfigProblem[],
): { lines: Map<string, number>; malformed: boolean } {
  const lines = new Map<string, number>();
  let section = '';
  let sectionBad = false;
  let malformed = false;
  const rows = text.split(/\r?\n/);
  for (let i = 0; i < rows.length; i++) {
    const line = (rows[i] ?? '').trim();
    const lineNo = i + 1;
    const source = `${fileName} line ${lineNo}`;
    if (line === '' || line.startsWith(';') || line.startsWith('#')) continue;
    if (line.startsWith('[')) {
      // What `ini` accepts as a header; anything else it would read as a key named `[upstream` of the section
      // above, and every key below would land in the wrong section.
      if (!/^\[[^\]]*\]$/.test((rows[i] ?? '').trimEnd())) {
        problems.push({
          path: '(file)',
          message: `malformed section header ${JSON.stringify(line.slice(0, 80))}: expected [name] alone at the start of the line`,
          source,
        });
        malformed = true;
        continue;
      }
      const end = line.lastIndexOf(']');
      section = unquoteIni(line.slice(1, end < 0 ? undefined : end));
      sectionBad = section.split('.').some((part) => forbiddenIniNames.has(unquoteIni(part)));
      if (sectionBad) problems.push({ path: section, message: 'section name is not allowed', source });
      continue;
    }
    const eq = line.indexOf('=');
    let key = unquoteIni(eq < 0 ? line : line.slice(0, eq));
    const isArray = key.endsWith('[]');
    if (isArray) key = key.slice(0, -2).trim();
    const path = section === '' ? key : `${section}.${key}`;
    if (forbiddenIniNames.has(key)) {
      problems.push({ path, message: 'key name is not allowed', source });
      continue;
    }
    if (sectionBad) continue;
    const first = lines.get(path);
    if (first !== undefined && !isArray) {
      problems.push({ path, message: `set more than once (lines ${first} and ${lineNo})`, source });
    }
    if (first === undefined) lines.set(path, lineNo);
  }
  return { lines, malformed };
}

/** Reads a secret (password, token) from a file: bounded, one trailing newline dropped, never empty. */
export async function readSecretFile(
  path: string,
  report: (message: string) => void,
  maxBytes: number,
): Promise<string | undefined> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (e) {
    report(`cannot read ${path}: ${errnoText(e)}`);
    return undefined;
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) return void report(`${path} is not a regular file`);
    if (st.size > maxBytes) return void report(`${path} is larger than ${maxBytes} bytes`);
    const buf = Buffer.alloc(maxBytes + 1);
    const { bytesRead } = await handle.read(buf, 0, buf.length, 0);
    if (bytesRead > maxBytes) return void report(`${path} is larger than ${maxBytes} bytes`);
    const secret = buf.toString('utf8', 0, bytesRead).replace(/\r?\n$/, '');
    if (secret === '') return void report(`${path} is empty`);
    return secret;
  } finally {
    await handle.close();
  }
}

/** errno codes in words an operator understands. */
export function errnoText(e: unknown): string {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'is a directory';
  return code ?? (e instanceof Error ? e.message : String(e));
}

/**
 * Parses INI text already read with readIniText: returns the parsed sections and a `where(path)` that names the
 * file line of a `section.key` for messages, or undefined (with the problem recorded) when it is not INI.
 */
export interface ParsedIni {
  readonly parsed: Record<string, unknown>;
  /** `patchbay.ini line 3` for a `section.key` (or a section), the file name when its line is unknown. */
  readonly where: (path: string) => string;
}

export function parseIniText(
  text: string,
  fileName: string,
  problems: ConfigProblem[],
): ParsedIni | undefined {
  const { lines, malformed } = scanIniLines(text, fileName, problems);
  if (malformed) return undefined;
  const where = (path: string): string => {
    const n = lines.get(path);
    return n === undefined ? fileName : `${fileName} line ${n}`;
  };
  try {
    return { parsed: ini.parse(text), where };
  } catch (e) {
    problems.push({
      path: '(file)',
      message: `not a valid INI file: ${(e as Error).message}`,
      source: fileName,
    });
    return undefined;
  }
}
