/**
 * Text renderings of the schema and of a loaded configuration: the commented defaults file
 * (`patchbay config defaults`), the Markdown reference in README.md / docs/configuration.md, and the
 * effective configuration with secrets redacted (`patchbay config show`). All are generated from the
 * schema metadata, so documentation cannot drift from the code (a test regenerates and compares).
 */
import { formatSize } from './fields.js';
import { configFields, type FieldInfo } from './keys.js';
import type { Config } from './load.js';
import { sectionNames } from './schema.js';

export const redacted = '<redacted>';

function wrap(text: string, width: number, prefix: string): string[] {
  const out: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line !== '' && prefix.length + line.length + 1 + word.length > width) {
      out.push(prefix + line);
      line = word;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  if (line !== '') out.push(prefix + line);
  return out;
}

function defaultNote(f: FieldInfo): string {
  if (f.meta.derivedDefault) return ` Default: ${f.meta.derivedDefault}.`;
  if (f.meta.values) return ` One of: ${f.meta.values.join(', ')}.`;
  return '';
}

/** A complete, valid INI file with every key at its default, each explained. */
export function renderDefaultsIni(): string {
  const lines: string[] = [
    '; Patchbay configuration, with every key at its default value.',
    '; Use it as a starting point: `patchbay config defaults > patchbay.ini`, then check your edits with',
    '; `patchbay config check -c patchbay.ini`. Each key can be overridden by an environment variable',
    '; PATCHBAY_<SECTION>_<KEY> (shown under each key). Lists: comma-separated, or repeated key[] lines.',
  ];
  for (const section of sectionNames) {
    lines.push('', `[${section}]`);
    for (const f of configFields.filter((x) => x.section === section)) {
      lines.push('');
      lines.push(
        ...wrap(`${f.meta.secret ? '(secret) ' : ''}${f.meta.description}${defaultNote(f)}`, 110, '; '),
      );
      lines.push(`; env: ${f.envName}`);
      lines.push(
        f.meta.envOnly
          ? `; ${f.iniKey} =`
          : `${f.iniKey} =${f.meta.defaultText === '' ? '' : ` ${f.meta.defaultText}`}`,
      );
    }
  }
  return `${lines.join('\n')}\n`;
}

function mdEscape(s: string): string {
  return s.replaceAll('|', '\\|');
}

/** The Markdown reference table (one row per key). */
export function renderReferenceMarkdown(): string {
  const lines: string[] = [];
  for (const section of sectionNames) {
    lines.push(
      `#### \`[${section}]\``,
      '',
      '| key | default | environment variable | description |',
      '|---|---|---|---|',
    );
    for (const f of configFields.filter((x) => x.section === section)) {
      const def = f.meta.derivedDefault ?? (f.meta.defaultText === '' ? '(empty)' : f.meta.defaultText);
      const desc = `${f.meta.secret ? '**Secret.** ' : ''}${f.meta.description}${f.meta.values ? ` One of: ${f.meta.values.join(', ')}.` : ''}`;
      lines.push(`| \`${f.iniKey}\` | \`${mdEscape(def)}\` | \`${f.envName}\` | ${mdEscape(desc)} |`);
    }
    lines.push('');
  }
  return lines.join('\n');
}

/** Hides credentials inside URLs: `http://u:p@h` -> `http://u:<redacted>@h`. */
export function redactUrlCredentials(text: string): string {
  return text.replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@]*:)[^\s@/]*@/gi, `$1${redacted}@`);
}

function valueText(f: FieldInfo, value: unknown): string {
  if (f.meta.secret) return value === '' ? '' : redacted;
  if (Array.isArray(value)) return value.join(', ');
  if (f.meta.kind === 'time' && value !== null && typeof value === 'object') {
    const t = value as { hour: number; minute: number };
    return `${String(t.hour).padStart(2, '0')}:${String(t.minute).padStart(2, '0')}`;
  }
  if (f.meta.kind === 'size' && typeof value === 'number') return formatSize(value);
  return redactUrlCredentials(String(value));
}

/** The effective configuration as an INI file, secrets redacted. */
export function renderEffectiveIni(config: Config): string {
  const lines: string[] = [
    '; Effective Patchbay configuration (defaults < file < environment); secrets redacted.',
  ];
  for (const section of sectionNames) {
    lines.push('', `[${section}]`);
    const values = config[section] as Record<string, unknown>;
    for (const f of configFields.filter((x) => x.section === section)) {
      const v = valueText(f, values[f.key]);
      lines.push(`${f.iniKey} =${v === '' ? '' : ` ${v}`}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** The effective configuration as a JSON-ready object keyed by INI names, secrets redacted. */
export function effectiveConfigObject(config: Config): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const section of sectionNames) {
    const values = config[section] as Record<string, unknown>;
    const o: Record<string, unknown> = {};
    for (const f of configFields.filter((x) => x.section === section)) {
      const v = values[f.key];
      o[f.iniKey] =
        f.meta.secret || f.meta.kind === 'time' || typeof v === 'string'
          ? valueText(f, v)
          : Array.isArray(v)
            ? [...(v as unknown[])]
            : v;
    }
    out[section] = o;
  }
  return out;
}
