/**
 * The section and key walk shared by every INI file Patchbay reads (`patchbay.ini`, `connector.ini`), after
 * `parseIniText`: a setting outside any section, an unknown section, a key that must not be in the file
 * (secrets) and an unknown key (with a did-you-mean) are reported with their INI path and file line; every
 * other key is handed to the loader. What a section holds and what its values mean stay with each loader.
 */
import { forbiddenIniNames, type ParsedIni } from './ini-file.js';
import { suggestKey } from './key-helpers.js';
import type { ConfigProblem } from './problems.js';

export interface IniLayout {
  /** Completes "setting outside a section (...)": where settings belong, e.g. `put it under [server], ...`. */
  readonly outsideSectionHint: string;
  /** The INI keys a section accepts, or the problem when the file must not have this section. */
  section(name: string): { readonly keys: readonly string[] } | { readonly problem: string };
  /** Why a key must not be set in the file (a secret), or undefined; asked before the key is looked up. */
  refusedKey?(section: string, iniKey: string): string | undefined;
}

/** Where the walk hands what the file holds: each accepted section (even an empty one), then its keys. */
export interface IniSink {
  section?(name: string): void;
  key(section: string, iniKey: string, value: unknown, path: string): void;
}

/** Reports the structural problems of a parsed INI file and hands every accepted section and key to `sink`. */
export function walkIniSections(
  ini: ParsedIni,
  fileName: string,
  layout: IniLayout,
  problems: ConfigProblem[],
  sink: IniSink,
): void {
  const { parsed, where } = ini;
  for (const [section, body] of Object.entries(parsed)) {
    if (forbiddenIniNames.has(section)) continue; // reported by the line scan
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      problems.push({
        path: section,
        message: `setting outside a section (${layout.outsideSectionHint})`,
        source: where(section),
      });
      continue;
    }
    const rule = layout.section(section);
    if ('problem' in rule) {
      problems.push({ path: section, message: rule.problem, source: fileName });
      continue;
    }
    sink.section?.(section);
    for (const [iniKey, value] of Object.entries(body as Record<string, unknown>)) {
      if (forbiddenIniNames.has(iniKey)) continue; // reported by the line scan
      const path = `${section}.${iniKey}`;
      const refused = layout.refusedKey?.(section, iniKey);
      if (refused !== undefined) {
        problems.push({ path, message: refused, source: where(path) });
        continue;
      }
      if (!rule.keys.includes(iniKey)) {
        const nested = value !== null && typeof value === 'object' && !Array.isArray(value);
        problems.push({
          path,
          message: nested
            ? 'unknown section (sections do not nest)'
            : `unknown key${suggestKey(rule.keys, iniKey)}`,
          source: where(path),
        });
        continue;
      }
      sink.key(section, iniKey, value, path);
    }
  }
}
