/**
 * The `Range` and conditional-request decisions for `/Content/` (RFC 9110 sections 13 and 14), kept free of
 * HTTP framework types so they are easy to test exhaustively.
 */

export type RangeDecision =
  | { readonly kind: 'full' }
  | { readonly kind: 'partial'; readonly start: number; readonly end: number }
  | { readonly kind: 'unsatisfiable' };

/** Longer Range headers are ignored (served in full) rather than parsed: WUA sends ~25 characters. */
const maxRangeHeaderLength = 256;
const digits = /^\d+$/;

/** One range-spec of RFC 9110 14.1.1 against `size`; undefined when it is syntactically invalid. */
function decideSpec(spec: string, size: number): RangeDecision | undefined {
  const dash = spec.indexOf('-');
  if (dash < 0) return undefined;
  const first = spec.slice(0, dash).trim();
  const last = spec.slice(dash + 1).trim();
  // Positions are compared as BigInt: `bytes=99999999999999999999-` is a valid spec (beyond 2^53, where a
  // Number would round) that no file satisfies, so it must be 416, never a silent full answer.
  const total = BigInt(size);
  if (first === '') {
    // Suffix form: the last n bytes; a suffix longer than the object selects all of it.
    if (!digits.test(last)) return undefined;
    const n = BigInt(last);
    if (n === 0n || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'partial', start: n >= total ? 0 : Number(total - n), end: size - 1 };
  }
  if (!digits.test(first) || (last !== '' && !digits.test(last))) return undefined;
  const start = BigInt(first);
  // last-pos < first-pos makes the spec invalid (14.1.1), not unsatisfiable.
  if (last !== '' && BigInt(last) < start) return undefined;
  if (start >= total) return { kind: 'unsatisfiable' };
  const end = last === '' || BigInt(last) >= total ? size - 1 : Number(last);
  return { kind: 'partial', start: Number(start), end };
}

/**
 * Decide what a `Range` header asks of an object of `size` bytes (RFC 9110 14.2):
 * - anything syntactically invalid (another unit, a malformed or inverted spec, an over-long header) ->
 *   the header is ignored, i.e. the full object with 200;
 * - no spec satisfiable (every first-pos at or beyond the end, `-0`, an empty object) -> unsatisfiable (416);
 * - one spec -> partial, clamped to the object;
 * - several specs with one satisfiable -> the full object with 200 (allowed by 14.2; WUA never asks for
 *   several, and one 200 is cheaper and safer than a multipart/byteranges body).
 */
export function decideRange(header: string | undefined, size: number): RangeDecision {
  if (header === undefined || header.length > maxRangeHeaderLength) return { kind: 'full' };
  const eq = header.indexOf('=');
  if (eq < 0 || header.slice(0, eq).trim().toLowerCase() !== 'bytes') return { kind: 'full' };
  // range-set = 1#range-spec: empty list elements are allowed and skipped (RFC 9110 5.6.1).
  const specs = header
    .slice(eq + 1)
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (specs.length === 0) return { kind: 'full' };
  const decisions: RangeDecision[] = [];
  for (const spec of specs) {
    const d = decideSpec(spec, size);
    if (d === undefined) return { kind: 'full' };
    decisions.push(d);
  }
  if (decisions.every((d) => d.kind === 'unsatisfiable')) return { kind: 'unsatisfiable' };
  return decisions.length === 1 ? (decisions[0] as RangeDecision) : { kind: 'full' };
}

export interface Validators {
  /** The strong entity tag including its quotes, e.g. `"2F88...54AB"`. */
  readonly etag: string;
  /** Last modification in ms; HTTP dates carry whole seconds. */
  readonly lastModifiedMs: number;
}

export interface ConditionalHeaders {
  readonly 'if-match'?: string | undefined;
  readonly 'if-none-match'?: string | undefined;
  readonly 'if-modified-since'?: string | undefined;
  readonly 'if-unmodified-since'?: string | undefined;
  readonly 'if-range'?: string | undefined;
}

/** Entity tags listed in an If-Match / If-None-Match value; `*` is returned as itself. Bounded. */
function listTags(value: string): string[] {
  if (value.trim() === '*') return ['*'];
  return value
    .slice(0, 4096)
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .slice(0, 64);
}

function weakEqual(a: string, b: string): boolean {
  const strip = (s: string): string => (s.startsWith('W/') ? s.slice(2) : s);
  return strip(a) === strip(b);
}

function parseHttpDate(value: string | undefined): number | undefined {
  if (value === undefined || value.length > 64) return undefined;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? ms : undefined;
}

const seconds = (ms: number): number => Math.floor(ms / 1000);

/**
 * Evaluate preconditions in RFC 9110 13.2.2 order for GET/HEAD: 412 when If-Match / If-Unmodified-Since
 * fail, 304 when If-None-Match / If-Modified-Since say the client's copy is current, otherwise proceed.
 * WUA sends none of these (docs/protocol/client.md §1.9); they are honoured so caches and BITS-era clients behave.
 */
export function evaluatePreconditions(h: ConditionalHeaders, v: Validators): 'proceed' | 304 | 412 {
  const ifMatch = h['if-match'];
  if (ifMatch !== undefined) {
    const tags = listTags(ifMatch);
    // Strong comparison: a weak tag never matches.
    if (!tags.includes('*') && !tags.includes(v.etag)) return 412;
  } else {
    const ius = parseHttpDate(h['if-unmodified-since']);
    if (ius !== undefined && seconds(v.lastModifiedMs) > seconds(ius)) return 412;
  }
  const ifNoneMatch = h['if-none-match'];
  if (ifNoneMatch !== undefined) {
    const tags = listTags(ifNoneMatch);
    if (tags.includes('*') || tags.some((t) => weakEqual(t, v.etag))) return 304;
  } else {
    const ims = parseHttpDate(h['if-modified-since']);
    if (ims !== undefined && seconds(v.lastModifiedMs) <= seconds(ims)) return 304;
  }
  return 'proceed';
}

/**
 * If-Range: the Range applies only when the validator still matches (strong ETag, or exactly the
 * Last-Modified date); otherwise the full object is sent, so a client never stitches two versions.
 */
export function ifRangeAllowsRange(ifRange: string | undefined, v: Validators): boolean {
  if (ifRange === undefined) return true;
  const value = ifRange.trim();
  if (value.startsWith('"') || value.startsWith('W/')) return value === v.etag;
  const date = parseHttpDate(value);
  return date !== undefined && seconds(date) === seconds(v.lastModifiedMs);
}
