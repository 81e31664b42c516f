import { parseGuid as toGuid } from '../../domain/index.js';
import { childElement, invalidParameter, textOf, type XmlElement } from '../xml/index.js';
import { soap11EncodingNs, soap12EncodingNs, xsiNs } from './namespaces.js';

/**
 * Typed readers for SOAP values and arrays (docs/protocol/client.md §1.2, docs/protocol/security.md §5.1 items 10-11, §5.2). Every failure is an
 * InvalidParameters error naming the parameter path (`parameters.InstalledNonLeafUpdateIDs`), which the fault
 * encoder writes as the WSUS `Message`.
 */

/** Parses one item's text; throws invalidParameter(paramPath, …) on a bad value. */
export type ItemParser<T> = (text: string, paramPath: string) => T;

export interface ArrayReadOptions {
  /** Most items accepted; more is InvalidParameters naming the array (WSUS refuses 401 installed ids). */
  readonly maxLength: number;
}

/** Strips XML Schema whitespace (space, TAB, CR, LF) — `xs:int`, `xs:boolean` etc. collapse it. */
function collapse(text: string): string {
  const n = text.length;
  // Fast exit for the usual case (no surrounding whitespace): ids are read by the thousand.
  if (n === 0 || (text.charCodeAt(0) > 0x20 && text.charCodeAt(n - 1) > 0x20)) return text;
  return text.replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, '');
}

const int32Pattern = /^[+-]?[0-9]{1,32}$/;

function isDigits(t: string): boolean {
  for (let i = 0; i < t.length; i++) {
    const c = t.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

/** `xs:int`: optional sign, digits, within [-2^31, 2^31-1]. */
export const parseInt32: ItemParser<number> = (text, path) => {
  const t = collapse(text);
  let n: number;
  // Digits-only strings of up to 9 characters cannot overflow: decode them without a regex.
  if (t.length > 0 && t.length <= 9 && isDigits(t)) n = Number(t);
  else {
    if (!int32Pattern.test(t)) throw invalidParameter(path, 'not an integer');
    n = Number(t);
  }
  if (n < -2147483648 || n > 2147483647) throw invalidParameter(path, 'integer out of the int32 range');
  return n === 0 ? 0 : n; // no -0
};

/** GUID in the 8-4-4-4-12 form, returned lower-case (the wire mixes cases; docs/protocol/client.md §1.2). */
export const parseGuid: ItemParser<string> = (text, path) => {
  const g = text.length <= 64 ? toGuid(text) : undefined;
  if (g === undefined) throw invalidParameter(path, 'not a GUID');
  return g;
};

/** `xs:boolean`: `true`, `false`, `1`, `0`. */
export const parseBoolean: ItemParser<boolean> = (text, path) => {
  switch (collapse(text)) {
    case 'true':
    case '1':
      return true;
    case 'false':
    case '0':
      return false;
    default:
      throw invalidParameter(path, 'not a boolean');
  }
};

const dateTimePattern =
  /^(-?[0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]{1,7}))?(Z|[+-][0-9]{2}:[0-9]{2})?$/;

/**
 * `xs:dateTime` in the .NET round-trip form: `2026-10-04T16:03:35.9967236Z` with 0-7 fraction digits and `Z`
 * or an offset. No zone is read as UTC (.NET writes "unspecified" kinds without one; WSUS means UTC).
 * Digits beyond milliseconds are dropped (JavaScript Dates hold milliseconds).
 */
export const parseDateTime: ItemParser<Date> = (text, path) => {
  const m = dateTimePattern.exec(collapse(text));
  if (!m) throw invalidParameter(path, 'not a dateTime');
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  if (year < 1 || month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59)
    throw invalidParameter(path, 'dateTime out of range');
  const ms = frac === undefined ? 0 : Number(frac.padEnd(3, '0').slice(0, 3));
  const base = new Date(0);
  base.setUTCFullYear(year, month - 1, day);
  base.setUTCHours(hour, minute, second, ms);
  if (base.getUTCDate() !== day) throw invalidParameter(path, 'dateTime out of range'); // e.g. 02-30
  let t = base.getTime();
  if (zone !== undefined && zone !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const zh = Number(zone.slice(1, 3));
    const zm = Number(zone.slice(4, 6));
    if (zh > 14 || zm > 59) throw invalidParameter(path, 'dateTime zone out of range');
    t -= sign * (zh * 60 + zm) * 60_000;
  }
  return new Date(t);
};

const base64Pattern = /^[A-Za-z0-9+/]*={0,2}$/;

/** `xs:base64Binary` decoding to at most `maxBytes` (whitespace allowed, as the schema type allows). */
export function base64Parser(maxBytes: number): ItemParser<Buffer> {
  return (text, path) => {
    if (text.length > Math.ceil(maxBytes / 3) * 4 * 2 + 64) throw invalidParameter(path, 'base64 too long');
    const t = text.replace(/[ \t\r\n]+/g, '');
    if (t.length % 4 !== 0 || !base64Pattern.test(t)) throw invalidParameter(path, 'not base64');
    const b = Buffer.from(t, 'base64');
    if (b.length > maxBytes) throw invalidParameter(path, `base64 longer than ${maxBytes} bytes`);
    return b;
  };
}

/** `xs:base64Binary` of exactly `byteLength` bytes (e.g. a SHA-1 digest: 20). */
export function fixedBase64Parser(byteLength: number): ItemParser<Buffer> {
  const read = base64Parser(byteLength);
  return (text, path) => {
    const b = read(text, path);
    if (b.length !== byteLength) throw invalidParameter(path, `expected ${byteLength} bytes of base64`);
    return b;
  };
}

/** `xs:string` with a length cap (characters). */
export function stringParser(maxLength: number): ItemParser<string> {
  return (text, path) => {
    if (text.length > maxLength) throw invalidParameter(path, `longer than ${maxLength} characters`);
    return text;
  };
}

function isNil(el: XmlElement): boolean {
  for (const a of el.attributes) if (a.local === 'nil' && a.uri === xsiNs) return parseNilFlag(a.value);
  return false;
}

function parseNilFlag(v: string): boolean {
  const t = collapse(v);
  return t === 'true' || t === '1';
}

/**
 * The declared length of a SOAP-encoded array, checked before any item is read so that
 * `soapenc:arrayType="xsd:int[1000000000]"` is refused at once. SOAP 1.1: `arrayType="xsd:int[3]"`
 * (also `[]`); SOAP 1.2: `arraySize="3"` (or `*`). Multi-dimensional arrays are refused.
 */
function checkEncodedLength(el: XmlElement, path: string, maxLength: number): void {
  for (const a of el.attributes) {
    let size: string | undefined;
    if (a.local === 'arrayType' && a.uri === soap11EncodingNs) {
      const m = /\[([^\]]*)\]\s*$/.exec(a.value);
      if (!m) throw invalidParameter(path, 'bad soapenc:arrayType');
      size = m[1]!.trim();
    } else if (a.local === 'arraySize' && a.uri === soap12EncodingNs) {
      size = a.value.trim();
    } else continue;
    if (size === '' || size === '*') continue;
    if (!/^[0-9]{1,12}$/.test(size)) throw invalidParameter(path, 'unsupported SOAP-encoded array size');
    if (Number(size) > maxLength) throw invalidParameter(path, `more than ${maxLength} items`);
  }
}

/**
 * The item elements of an array element: every child element, whatever its name — literal arrays name them
 * after the type (`<int>`, `<guid>`, `<string>`), SOAP-encoded ones often `<item>`; `xsi:type` on items is
 * accepted and ignored (the parser enforces the type). Text between items is ignored.
 */
function arrayItems(el: XmlElement, path: string, maxLength: number): XmlElement[] {
  checkEncodedLength(el, path, maxLength);
  const items: XmlElement[] = [];
  for (const c of el.children) {
    if (c.kind !== 'element') continue;
    if (items.length === maxLength) throw invalidParameter(path, `more than ${maxLength} items`);
    if (isNil(c)) throw invalidParameter(path, `item ${items.length} is nil`);
    items.push(c);
  }
  return items;
}

/**
 * Reads the array child (uri, local) of `parent`: absent (or `xsi:nil="true"`) = undefined, empty element =
 * [], literal and SOAP-encoded forms both accepted, at most `maxLength` items, each parsed by `parseItem`.
 */
export function readArray<T>(
  parent: XmlElement,
  uri: string,
  local: string,
  paramPath: string,
  parseItem: ItemParser<T>,
  options: ArrayReadOptions,
): T[] | undefined {
  const el = childElement(parent, uri, local);
  if (!el || isNil(el)) return undefined;
  const items = arrayItems(el, paramPath, options.maxLength);
  const out: T[] = new Array<T>(items.length);
  for (let i = 0; i < items.length; i++) out[i] = parseItem(textOf(items[i]!), paramPath);
  return out;
}

/** Like readArray with parseInt32, straight into an Int32Array (cached revision-id lists run to thousands). */
export function readInt32Array(
  parent: XmlElement,
  uri: string,
  local: string,
  paramPath: string,
  options: ArrayReadOptions,
): Int32Array | undefined {
  const el = childElement(parent, uri, local);
  if (!el || isNil(el)) return undefined;
  const items = arrayItems(el, paramPath, options.maxLength);
  const out = new Int32Array(items.length);
  for (let i = 0; i < items.length; i++) out[i] = parseInt32(textOf(items[i]!), paramPath);
  return out;
}

/** An optional scalar child: undefined when absent or nil, else parsed. */
export function readOptional<T>(
  parent: XmlElement,
  uri: string,
  local: string,
  paramPath: string,
  parse: ItemParser<T>,
): T | undefined {
  const el = childElement(parent, uri, local);
  if (!el || isNil(el)) return undefined;
  return parse(textOf(el), paramPath);
}

/** A required scalar child: absent or nil is InvalidParameters naming `paramPath`. */
export function readRequired<T>(
  parent: XmlElement,
  uri: string,
  local: string,
  paramPath: string,
  parse: ItemParser<T>,
): T {
  const el = childElement(parent, uri, local);
  if (!el || isNil(el)) throw invalidParameter(paramPath, `missing element ${local}`);
  return parse(textOf(el), paramPath);
}
