/**
 * Leaf field builders for the configuration schema. Every value arrives as text (INI file or environment),
 * so each field parses text itself and reports "expected X, got Y" in words an operator understands.
 * The metadata attached here (description, kind, default as written in INI) is what the generated reference
 * (`patchbay config defaults`, README, docs/configuration.md) is made of, so the schema stays the only
 * definition.
 */
import { z } from 'zod';

export type FieldKind = 'integer' | 'boolean' | 'string' | 'enum' | 'list' | 'path' | 'url' | 'time' | 'size';

export interface FieldMeta {
  description: string;
  kind: FieldKind;
  /** The default as it is written in an INI file ('' = empty). */
  defaultText: string;
  /** Human-readable default when it is derived from another key (e.g. `<data_dir>/patchbay.db`). */
  derivedDefault?: string;
  /** A secret: redacted in `config show` and in logs. */
  secret?: boolean;
  /** Accepted only from the environment, never from the config file (passwords). */
  envOnly?: boolean;
  /** Allowed values for enums, shown in the reference. */
  values?: readonly string[];
}

/** Longest accepted text value; configuration values are short, anything longer is a mistake or an attack. */
export const maxValueLength = 4096;
export const maxListItems = 256;

type Raw = unknown;

function describeRaw(raw: Raw): string {
  if (Array.isArray(raw)) return `a list of ${raw.length} values`;
  const text = typeof raw === 'string' ? raw : String(raw);
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}...` : text);
}

/** Text of a scalar value; `ini` turns true/false into booleans, the environment gives strings. */
function scalarText(raw: Raw): string | undefined {
  if (typeof raw === 'string') return raw.trim();
  if (typeof raw === 'boolean' || typeof raw === 'number') return String(raw);
  return undefined;
}

/**
 * Builds a field from a text parser. The parser returns the value, or the words for "expected ..." when the
 * text is not acceptable.
 */
function textField<T>(
  parse: (text: string) => { value: T } | { expected: string },
  expectedForNonScalar: string,
): z.ZodType<T, unknown> {
  return z.unknown().transform((raw, ctx): T => {
    const text = scalarText(raw);
    if (text === undefined) {
      ctx.addIssue({ code: 'custom', message: `expected ${expectedForNonScalar}, got ${describeRaw(raw)}` });
      return z.NEVER;
    }
    if (text.length > maxValueLength) {
      ctx.addIssue({ code: 'custom', message: `value is longer than ${maxValueLength} characters` });
      return z.NEVER;
    }
    const r = parse(text);
    if ('expected' in r) {
      ctx.addIssue({ code: 'custom', message: `expected ${r.expected}, got ${describeRaw(raw)}` });
      return z.NEVER;
    }
    return r.value;
  });
}

function withMeta<T>(schema: z.ZodType<T, unknown>, defaultValue: T, meta: FieldMeta) {
  return schema.default(defaultValue as never).meta({ ...meta });
}

export function integerField(opts: { min: number; max: number; default: number; description: string }) {
  const expected = `an integer ${opts.min}..${opts.max}`;
  const schema = textField((text) => {
    if (!/^-?\d{1,15}$/.test(text)) return { expected };
    const n = Number(text);
    return n >= opts.min && n <= opts.max ? { value: n } : { expected };
  }, expected);
  return withMeta(schema, opts.default, {
    description: opts.description,
    kind: 'integer',
    defaultText: String(opts.default),
  });
}

/** A port to listen on; 0 asks the OS for a free one (tests, side-by-side instances), logged when bound. */
export function portField(opts: { default: number; description: string }) {
  return integerField({ min: 0, max: 65535, ...opts });
}

export function booleanField(opts: { default: boolean; description: string }) {
  const expected = 'true or false';
  const schema = textField((text) => {
    const t = text.toLowerCase();
    if (t === 'true' || t === 'yes' || t === 'on' || t === '1') return { value: true };
    if (t === 'false' || t === 'no' || t === 'off' || t === '0') return { value: false };
    return { expected };
  }, expected);
  return withMeta(schema, opts.default, {
    description: opts.description,
    kind: 'boolean',
    defaultText: String(opts.default),
  });
}

export function enumField<const V extends readonly [string, ...string[]]>(opts: {
  values: V;
  default: V[number];
  description: string;
}) {
  const expected = `one of ${opts.values.join(', ')}`;
  const schema = textField<V[number]>((text) => {
    const t = text.toLowerCase();
    const found = opts.values.find((v) => v === t);
    return found === undefined ? { expected } : { value: found };
  }, expected);
  return withMeta(schema, opts.default, {
    description: opts.description,
    kind: 'enum',
    defaultText: opts.default,
    values: opts.values,
  });
}

/** Free text; `pattern` (with its words) constrains it. Empty text is allowed and means "not set". */
export function stringField(opts: {
  default: string;
  description: string;
  pattern?: { re: RegExp; expected: string };
  secret?: boolean;
  envOnly?: boolean;
  derivedDefault?: string;
  kind?: 'string' | 'path';
}) {
  const expected = opts.pattern?.expected ?? 'text';
  const schema = textField((text) => {
    if (text !== '' && opts.pattern && !opts.pattern.re.test(text)) return { expected };
    return { value: text };
  }, expected);
  const meta: FieldMeta = {
    description: opts.description,
    kind: opts.kind ?? 'string',
    defaultText: opts.default,
  };
  if (opts.secret) meta.secret = true;
  if (opts.envOnly) meta.envOnly = true;
  if (opts.derivedDefault !== undefined) meta.derivedDefault = opts.derivedDefault;
  return withMeta(schema, opts.default, meta);
}

export function pathField(opts: { default: string; description: string; derivedDefault?: string }) {
  return stringField({ ...opts, kind: 'path' });
}

/** An http(s) URL (credentials inside the URL are checked by the loader, which knows where it came from). */
export function urlField(opts: { default: string; description: string; protocols?: readonly string[] }) {
  const protocols = opts.protocols ?? ['http:', 'https:'];
  const expected = `a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}`;
  const schema = textField((text) => {
    if (text === '') return { value: '' };
    let u: URL;
    try {
      u = new URL(text);
    } catch {
      return { expected };
    }
    return protocols.includes(u.protocol) ? { value: text } : { expected };
  }, expected);
  return withMeta(schema, opts.default, {
    description: opts.description,
    kind: 'url',
    defaultText: opts.default,
  });
}

/** A time of day, `HH:MM` (24 hours), kept as minutes after midnight. */
export function timeOfDayField(opts: { default: string; description: string }) {
  const expected = 'a time of day HH:MM (00:00..23:59)';
  const schema = textField((text) => {
    const m = /^(\d{1,2}):(\d{2})$/.exec(text);
    if (!m) return { expected };
    const h = Number(m[1]);
    const min = Number(m[2]);
    if (h > 23 || min > 59) return { expected };
    return { value: { hour: h, minute: min } };
  }, expected);
  const [h, m] = opts.default.split(':').map(Number);
  return withMeta(
    schema,
    { hour: h ?? 0, minute: m ?? 0 },
    { description: opts.description, kind: 'time', defaultText: opts.default },
  );
}

const sizeUnits: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1024,
  kb: 1024,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1024 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1024 ** 3,
  gib: 1024 ** 3,
};

/** A byte size: `1048576`, `512KiB`, `16MiB`, `1GiB` (binary units; KB/MB/GB mean the same here). */
export function sizeField(opts: { min: number; max: number; default: string; description: string }) {
  const expected = `a size between ${formatSize(opts.min)} and ${formatSize(opts.max)} (e.g. 16MiB)`;
  const parse = (text: string): { value: number } | { expected: string } => {
    const m = /^(\d{1,13})\s*([a-zA-Z]{0,3})$/.exec(text);
    const unit = m ? sizeUnits[(m[2] ?? '').toLowerCase()] : undefined;
    if (!m || unit === undefined) return { expected };
    const n = Number(m[1]) * unit;
    return n >= opts.min && n <= opts.max ? { value: n } : { expected };
  };
  const d = parse(opts.default);
  if ('expected' in d) throw new Error(`bad size default ${opts.default}`);
  return withMeta(textField(parse, expected), d.value, {
    description: opts.description,
    kind: 'size',
    defaultText: opts.default,
  });
}

export function formatSize(n: number): string {
  for (const [unit, f] of [
    ['GiB', 1024 ** 3],
    ['MiB', 1024 ** 2],
    ['KiB', 1024],
  ] as const) {
    if (n >= f && n % f === 0) return `${n / f}${unit}`;
  }
  return `${n} bytes`;
}

/**
 * A list of names. In the INI file either one line, comma-separated (`languages = en, de`), or repeated
 * `key[] = value` lines for names that contain commas; in the environment comma-separated or a JSON array.
 */
export function listField(opts: {
  default: readonly string[];
  description: string;
  item?: { re: RegExp; expected: string; normalize?: (s: string) => string };
}) {
  const schema = z.unknown().transform((raw, ctx): string[] => {
    let items: string[];
    if (Array.isArray(raw)) {
      items = raw.map((v) => (typeof v === 'string' ? v : String(v)).trim());
    } else if (typeof raw === 'string') {
      const t = raw.trim();
      if (t.length > maxValueLength) {
        ctx.addIssue({ code: 'custom', message: `value is longer than ${maxValueLength} characters` });
        return z.NEVER;
      }
      if (t.startsWith('[')) {
        let parsed: unknown;
        try {
          parsed = JSON.parse(t);
        } catch {
          parsed = undefined;
        }
        if (!Array.isArray(parsed) || !parsed.every((v) => typeof v === 'string')) {
          ctx.addIssue({
            code: 'custom',
            message: `expected a comma-separated list or a JSON array of strings, got ${describeRaw(raw)}`,
          });
          return z.NEVER;
        }
        items = parsed.map((v: string) => v.trim());
      } else {
        items = t.split(',').map((s) => s.trim());
      }
    } else {
      ctx.addIssue({ code: 'custom', message: `expected a list of names, got ${describeRaw(raw)}` });
      return z.NEVER;
    }
    items = items.filter((s) => s !== '');
    if (items.length > maxListItems) {
      ctx.addIssue({
        code: 'custom',
        message: `expected at most ${maxListItems} items, got ${items.length}`,
      });
      return z.NEVER;
    }
    const out: string[] = [];
    for (const item of items) {
      if (item.length > 256) {
        ctx.addIssue({ code: 'custom', message: `list item longer than 256 characters` });
        return z.NEVER;
      }
      if (opts.item && !opts.item.re.test(item)) {
        ctx.addIssue({ code: 'custom', message: `expected ${opts.item.expected}, got ${describeRaw(item)}` });
        return z.NEVER;
      }
      const v = opts.item?.normalize ? opts.item.normalize(item) : item;
      if (!out.includes(v)) out.push(v);
    }
    return out;
  });
  return withMeta(schema, [...opts.default], {
    description: opts.description,
    kind: 'list',
    defaultText: opts.default.join(', '),
  });
}
