import type { XmlReadLimits } from './limits.js';

/**
 * The one scanner behind the fast paths: plain XML only — ASCII names, elements, attributes, text, the five
 * predefined entities and character references, an optional XML declaration — and nothing else. It checks
 * well-formedness and namespaces of that subset and reports start tags, end tags and text to a handler, which
 * builds a tree (fast-reader.ts) or streams (the update-document reader builds only what it needs).
 *
 * It never decides that input is bad. On anything outside the subset — a DOCTYPE, a comment, a PI other than
 * the XML declaration, CDATA, non-ASCII names, an unbound or reserved prefix, a duplicate attribute, an
 * illegal character, a crossed limit, a tag mismatch, premature end — `scanPlainXml` returns false and the
 * caller runs the saxes reader, which gives the authoritative answer (and the typed error). A handler may
 * already have been called when the scan gives up: handlers must not publish anything before it returns true.
 * The differential fuzz tests (test/unit/xml/fuzz.test.ts, test/unit/update-xml/stream-fuzz.test.ts) check
 * that everything built from an accepted scan equals what the saxes reader builds.
 *
 * Speed matters (targets.md P3): the scanner allocates nothing per tag beyond the name and value strings
 * (the attribute lists of `PlainTag` are reused), and it tells the handler when a tag is written in the
 * canonical form fragments use (one space before each attribute, double quotes, values needing no escape,
 * `' />'`), so a streaming writer can copy such tags from the input instead of rebuilding them.
 */

export const xmlnsUri = 'http://www.w3.org/2000/xmlns/';
export const xmlUri = 'http://www.w3.org/XML/1998/namespace';

/** The start tag being reported. Reused for every tag: handlers copy what they keep. */
export interface PlainTag {
  /** Offset of `<` and the offset just after the closing `>`. */
  start: number;
  end: number;
  qname: string;
  prefix: string;
  local: string;
  uri: string;
  selfClosing: boolean;
  /**
   * True when the tag as written is exactly `<qname( name="value")*>` or `<qname( name="value")* />`, with
   * values that contain none of `& < > " TAB LF CR`: copying it is the same as writing it with escapeXml.
   */
  canonical: boolean;
  /** Attributes in document order, namespace declarations included; only the first `count` are valid. */
  count: number;
  readonly qnames: string[];
  readonly prefixes: string[];
  readonly locals: string[];
  readonly uris: string[];
  readonly values: string[];
}

export interface PlainXmlHandler {
  /**
   * A start tag (also a self-closing one; no `endTag` follows those). Depth 0 is the root element.
   * Returning true for a non-self-closing tag asks for its leaf children through `item` (see there).
   */
  startTag(tag: PlainTag, depth: number): void | boolean;
  /**
   * Optional: the leaf children of an element whose `startTag` returned true, for lists of thousands of
   * `<int>…</int>`. A child written exactly `<name>text</name>` — an unprefixed name, no attribute, no
   * whitespace in the tags, text without `&`, `<`, `>` or CR — is reported here INSTEAD of startTag, text
   * and endTag: [start, end) is its text (possibly empty), `depth` the child's depth. The scanner checks
   * the limits for it as for any element. Any other child, and everything after it, is reported as usual.
   */
  item?(start: number, end: number, depth: number): void;
  /** The end tag of the element at `depth`, spanning [start, end). */
  endTag(start: number, end: number, depth: number): void;
  /**
   * Character data in an element, spanning [start, end) of the input. `decoded` is the text after line-end
   * normalisation and reference decoding when that changed anything, else undefined (the text is the slice).
   * `needsEscape` is true when the raw text contains `&`, `>` or CR, i.e. it cannot be copied into output.
   */
  text(start: number, end: number, decoded: string | undefined, needsEscape: boolean, depth: number): void;
}

/**
 * Characters XML 1.0 forbids anywhere (controls, U+FFFE/U+FFFF), and any surrogate. A plain character class
 * is many times faster than one with look-around; the rare text with surrogates gets the precise check.
 */
// eslint-disable-next-line no-control-regex
const suspectChar = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uD800-\uDFFF\uFFFE\uFFFF]/;
const illegalChar =
  // eslint-disable-next-line no-control-regex
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const declaration =
  /<\?xml version=(?:"1\.0"|'1\.0')(?: encoding=(?:"utf-8"|'utf-8'|"UTF-8"|'UTF-8'|"utf-16"|"UTF-16"))?\?>/y;

/** True when `s` has a character XML 1.0 forbids (see illegalChar). */
export function hasIllegalXmlChar(s: string): boolean {
  return suspectChar.test(s) && illegalChar.test(s);
}

function isNameStart(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x5f;
}
function isNameChar(c: number): boolean {
  return isNameStart(c) || (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x2e;
}

/** End of an ASCII QName (`NCName` or `NCName:NCName`) starting at `i`, or -1. */
function scanName(s: string, i: number): number {
  if (!isNameStart(s.charCodeAt(i))) return -1;
  i++;
  let colon = false;
  for (;;) {
    const c = s.charCodeAt(i);
    if (isNameChar(c)) i++;
    else if (c === 0x3a && !colon && isNameStart(s.charCodeAt(i + 1))) {
      colon = true;
      i += 2;
    } else return i;
  }
}

/** `xml`, `XML`, `xMl`… : prefixes starting with these letters are reserved (saxes decides about them). */
function isXmlReserved(p: string): boolean {
  return (
    p.length >= 3 &&
    (p.charCodeAt(0) | 0x20) === 0x78 &&
    (p.charCodeAt(1) | 0x20) === 0x6d &&
    (p.charCodeAt(2) | 0x20) === 0x6c
  );
}

function hasXmlSpace(v: string): boolean {
  for (let k = 0; k < v.length; k++) {
    const c = v.charCodeAt(k);
    if (c === 0x20 || c === 0x0a || c === 0x09 || c === 0x0d) return true;
  }
  return false;
}

type Scope = Record<string, string>;

function isWs(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x09 || c === 0x0d;
}

function isChar(cp: number): boolean {
  return (
    cp === 0x9 ||
    cp === 0xa ||
    cp === 0xd ||
    (cp >= 0x20 && cp <= 0xd7ff) ||
    (cp >= 0xe000 && cp <= 0xfffd) ||
    (cp >= 0x10000 && cp <= 0x10ffff)
  );
}

/** Value of the character reference `&#…;` between `from` (after `#`) and `to` (the `;`), or -1. */
function charRef(s: string, from: number, to: number): number {
  let cp = 0;
  if (s.charCodeAt(from) === 0x78 /* x */) {
    if (to - from - 1 < 1 || to - from - 1 > 6) return -1;
    for (let k = from + 1; k < to; k++) {
      const c = s.charCodeAt(k);
      const d =
        c >= 0x30 && c <= 0x39
          ? c - 0x30
          : c >= 0x61 && c <= 0x66
            ? c - 0x57
            : c >= 0x41 && c <= 0x46
              ? c - 0x37
              : -1;
      if (d < 0) return -1;
      cp = cp * 16 + d;
    }
  } else {
    if (to - from < 1 || to - from > 7) return -1;
    for (let k = from; k < to; k++) {
      const c = s.charCodeAt(k);
      if (c < 0x30 || c > 0x39) return -1;
      cp = cp * 10 + (c - 0x30);
    }
  }
  return isChar(cp) ? cp : -1;
}

/**
 * Decodes `&…;` references; undefined for anything but the five predefined entities and valid character
 * references, or when the result would exceed `maxLength` (saxes then reports the limit).
 */
function decodeRefs(raw: string, maxLength: number): string | undefined {
  let out = '';
  let from = 0;
  let amp = raw.indexOf('&');
  while (amp >= 0) {
    const semi = raw.indexOf(';', amp + 1);
    if (semi < 0 || semi - amp > 10) return undefined;
    let ch: string;
    const c1 = raw.charCodeAt(amp + 1);
    const len = semi - amp - 1;
    if (c1 === 0x23 /* # */) {
      const cp = charRef(raw, amp + 2, semi);
      if (cp < 0) return undefined;
      ch = String.fromCodePoint(cp);
    } else if (len === 3 && raw.startsWith('amp', amp + 1)) ch = '&';
    else if (len === 2 && raw.startsWith('lt', amp + 1)) ch = '<';
    else if (len === 2 && raw.startsWith('gt', amp + 1)) ch = '>';
    else if (len === 4 && raw.startsWith('quot', amp + 1)) ch = '"';
    else if (len === 4 && raw.startsWith('apos', amp + 1)) ch = "'";
    else return undefined;
    out += raw.slice(from, amp) + ch;
    if (out.length > maxLength) return undefined;
    from = semi + 1;
    amp = raw.indexOf('&', from);
  }
  return out + raw.slice(from);
}

function newTag(): PlainTag {
  return {
    start: 0,
    end: 0,
    qname: '',
    prefix: '',
    local: '',
    uri: '',
    selfClosing: false,
    canonical: false,
    count: 0,
    qnames: [],
    prefixes: [],
    locals: [],
    uris: [],
    values: [],
  };
}

/**
 * Scans `s` (already decoded text) and reports it to `handler`. Returns false when the input is outside the
 * plain subset or crosses a limit (see the module comment): the caller must then ask saxes.
 */
export function scanPlainXml(s: string, limits: XmlReadLimits, handler: PlainXmlHandler): boolean {
  if (hasIllegalXmlChar(s)) return false;
  const n = s.length;
  let i = 0;
  if (s.startsWith('<?xml')) {
    declaration.lastIndex = 0;
    if (!declaration.test(s)) return false;
    i = declaration.lastIndex;
  }
  const tag = newTag();
  const qnames: string[] = [];
  const scopes: Scope[] = [];
  const defaults: string[] = [];
  let scope: Scope = Object.create(null) as Scope;
  // The default namespace lives in a plain variable: looking '' up through the scope chain per element
  // (dictionary-mode objects) was the single largest cost of the first fast reader.
  let defaultNs = '';
  let depth = 0; // open elements
  let sawRoot = false;
  let elementCount = 0;
  const { maxNameLength, maxTextLength, maxAttributes, maxElements, maxDepth } = limits;

  while (i < n) {
    // Character data up to the next tag.
    const lt = s.indexOf('<', i);
    const end = lt < 0 ? n : lt;
    if (end > i) {
      if (depth === 0) {
        for (let k = i; k < end; k++) if (!isWs(s.charCodeAt(k))) return false;
      } else {
        let special = false;
        let needsEscape = false;
        for (let k = i; k < end; k++) {
          const ch = s.charCodeAt(k);
          if (ch === 0x26 || ch === 0x0d) {
            special = true;
            needsEscape = true;
            break;
          }
          if (ch === 0x3e) needsEscape = true;
        }
        let decoded: string | undefined;
        if (needsEscape) {
          let text = s.slice(i, end);
          if (text.includes(']]>')) return false;
          if (special) {
            if (text.includes('\r')) text = text.replace(/\r\n?/g, '\n');
            if (text.includes('&')) {
              const d = decodeRefs(text, maxTextLength);
              if (d === undefined) return false;
              text = d;
            }
            decoded = text;
          }
          if (text.length > maxTextLength) return false;
        } else if (end - i > maxTextLength) return false;
        handler.text(i, end, decoded, needsEscape, depth - 1);
      }
    }
    if (lt < 0) break;
    i = lt + 1;
    const c = s.charCodeAt(i);
    if (c === 0x2f /* / */) {
      // End tag: must close the open element with the same qualified name.
      const qn = qnames.pop();
      if (qn === undefined || !s.startsWith(qn, i + 1)) return false;
      i += 1 + qn.length;
      while (i < n && isWs(s.charCodeAt(i))) i++;
      if (s.charCodeAt(i) !== 0x3e) return false;
      i++;
      depth--;
      handler.endTag(lt, i, depth);
      scope = scopes.pop()!;
      defaultNs = defaults.pop()!;
      continue;
    }
    if (sawRoot && depth === 0) return false; // a second root
    const nameEnd = scanName(s, i);
    if (nameEnd < 0) return false; // comment, PI, DOCTYPE, CDATA, non-ASCII name…
    const qname = s.slice(i, nameEnd);
    i = nameEnd;
    if (qname.length > maxNameLength) return false;
    if (++elementCount > maxElements || depth + 1 > maxDepth) return false;

    // Attributes, raw: qname + value, resolved after all namespace declarations of the tag are known.
    let count = 0;
    let canonical = true;
    let selfClosing = false;
    let hasPrefixed = false;
    let newScope: Scope | undefined;
    let newDefault: string | undefined;
    const tq = tag.qnames;
    const tv = tag.values;
    for (;;) {
      const ws0 = i;
      while (i < n && isWs(s.charCodeAt(i))) i++;
      const ch = s.charCodeAt(i);
      if (ch === 0x3e /* > */) {
        if (i !== ws0) canonical = false;
        i++;
        break;
      }
      if (ch === 0x2f /* / */) {
        if (s.charCodeAt(i + 1) !== 0x3e) return false;
        if (i !== ws0 + 1 || s.charCodeAt(ws0) !== 0x20) canonical = false;
        i += 2;
        selfClosing = true;
        break;
      }
      if (i === ws0) return false; // attributes need whitespace before them (also catches EOF)
      if (i !== ws0 + 1 || s.charCodeAt(ws0) !== 0x20) canonical = false;
      const attrEnd = scanName(s, i);
      if (attrEnd < 0) return false;
      const aname = s.slice(i, attrEnd);
      i = attrEnd;
      if (aname.length > maxNameLength) return false;
      if (s.charCodeAt(i) !== 0x3d /* = */) {
        canonical = false;
        while (i < n && isWs(s.charCodeAt(i))) i++;
        if (s.charCodeAt(i) !== 0x3d) return false;
      }
      i++;
      let q = s.charCodeAt(i);
      if (q !== 0x22 && q !== 0x27) {
        canonical = false;
        while (i < n && isWs(s.charCodeAt(i))) i++;
        q = s.charCodeAt(i);
        if (q !== 0x22 && q !== 0x27) return false;
      }
      if (q !== 0x22) canonical = false;
      const close = s.indexOf(q === 0x22 ? '"' : "'", i + 1);
      if (close < 0) return false;
      // One pass over the raw value: refuse `<`, note what needs normalising or escaping.
      let amp = false;
      let space = false;
      for (let k = i + 1; k < close; k++) {
        const vc = s.charCodeAt(k);
        if (vc === 0x3c) return false;
        if (vc === 0x26) amp = true;
        else if (vc === 0x09 || vc === 0x0a || vc === 0x0d) space = true;
        else if (vc === 0x3e || vc === 0x22) canonical = false;
      }
      let value = s.slice(i + 1, close);
      i = close + 1;
      if (amp || space) {
        canonical = false;
        // Line-end then attribute-value normalisation of literal characters (XML 1.0 2.11, 3.3.3).
        if (space) value = value.replace(/\r\n?|[\n\t]/g, ' ');
        if (amp) {
          const d = decodeRefs(value, maxTextLength);
          if (d === undefined) return false;
          value = d;
        }
      }
      if (value.length > maxTextLength) return false;
      if (count >= maxAttributes) return false;
      tq[count] = aname;
      tv[count] = value;
      count++;
      if (!hasPrefixed && aname.includes(':')) hasPrefixed = true;
      // Namespace declarations open a new scope (prototype chain of null-prototype objects).
      if (aname.length >= 5 && aname.charCodeAt(0) === 0x78 && aname.startsWith('xmlns')) {
        if (aname.length === 5) {
          // saxes trims namespace names when binding them: leave any whitespace in one to saxes.
          if (value === xmlUri || value === xmlnsUri || hasXmlSpace(value)) return false;
          newDefault = value;
          continue;
        }
        if (aname.charCodeAt(5) === 0x3a) {
          const p = aname.slice(6);
          if (
            value === '' ||
            value === xmlUri ||
            value === xmlnsUri ||
            isXmlReserved(p) ||
            hasXmlSpace(value)
          )
            return false;
          newScope ??= Object.create(scope) as Scope;
          newScope[p] = value;
          continue;
        }
      }
    }
    const parentScope = scope;
    const parentDefault = defaultNs;
    if (newScope) scope = newScope;
    if (newDefault !== undefined) defaultNs = newDefault;

    const colon = qname.indexOf(':');
    let prefix = '';
    let local = qname;
    let uri: string | undefined;
    if (colon < 0) uri = defaultNs;
    else {
      prefix = qname.slice(0, colon);
      local = qname.slice(colon + 1);
      if (isXmlReserved(prefix)) return false;
      uri = scope[prefix];
      if (uri === undefined || uri === '') return false;
    }

    // Resolve attribute names. Unprefixed, non-xmlns attributes (the common case) need no lookup.
    const tp = tag.prefixes;
    const tl = tag.locals;
    const tu = tag.uris;
    for (let a = 0; a < count; a++) {
      const an = tq[a]!;
      if (an === 'xmlns') {
        tp[a] = '';
        tl[a] = 'xmlns';
        tu[a] = xmlnsUri;
        canonical = false;
        continue;
      }
      const ac = hasPrefixed ? an.indexOf(':') : -1;
      if (ac < 0) {
        tp[a] = '';
        tl[a] = an;
        tu[a] = '';
        continue;
      }
      canonical = false;
      const ap = an.slice(0, ac);
      let auri: string | undefined;
      if (ap === 'xmlns') auri = xmlnsUri;
      else if (isXmlReserved(ap)) return false;
      else auri = scope[ap];
      if (auri === undefined || auri === '') return false;
      tp[a] = ap;
      tl[a] = an.slice(ac + 1);
      tu[a] = auri;
    }
    // Duplicates by qualified name and by expanded name are errors saxes reports. Tags have few attributes:
    // comparing pairs beats building a set.
    if (count > 1) {
      if (count <= 16) {
        for (let a = 1; a < count; a++) {
          const qa = tq[a]!;
          const ua = tu[a]!;
          const la = tl[a]!;
          for (let b = 0; b < a; b++) {
            if (tq[b] === qa) return false;
            if (ua !== '' && tu[b] === ua && tl[b] === la) return false;
          }
        }
      } else {
        const seen = new Set<string>();
        for (let a = 0; a < count; a++) {
          const k1 = `q${tq[a]!}`;
          const k2 = `e${tu[a]!}\u0000${tl[a]!}`;
          if (seen.has(k1) || (tu[a] !== '' && seen.has(k2))) return false;
          seen.add(k1);
          if (tu[a] !== '') seen.add(k2);
        }
      }
    }

    tag.start = lt;
    tag.end = i;
    tag.qname = qname;
    tag.prefix = prefix;
    tag.local = local;
    tag.uri = uri;
    tag.selfClosing = selfClosing;
    tag.canonical = canonical;
    tag.count = count;
    sawRoot = true;
    const wantsItems = handler.startTag(tag, depth) === true;
    if (selfClosing) {
      scope = parentScope;
      defaultNs = parentDefault;
    } else {
      depth++;
      qnames.push(qname);
      scopes.push(parentScope);
      defaults.push(parentDefault);
      if (wantsItems && handler.item !== undefined && depth < maxDepth) {
        // Leaf children in their plainest form, without the per-tag work above (see PlainXmlHandler.item).
        // The first child that is not exactly `<name>text</name>` ends this loop; the general loop goes on
        // from its `<`, so nothing is skipped and nothing is refused here.
        while (s.charCodeAt(i) === 0x3c && isNameStart(s.charCodeAt(i + 1))) {
          const ns = i + 1;
          let ne = ns + 1;
          while (isNameChar(s.charCodeAt(ne))) ne++;
          const nameLength = ne - ns;
          if (s.charCodeAt(ne) !== 0x3e || nameLength > maxNameLength) break;
          const ts = ne + 1;
          let te = ts;
          for (;;) {
            const ch = s.charCodeAt(te);
            if (ch === 0x3c || ch === 0x26 || ch === 0x3e || ch === 0x0d || te >= n) break;
            te++;
          }
          if (
            s.charCodeAt(te) !== 0x3c ||
            s.charCodeAt(te + 1) !== 0x2f ||
            s.charCodeAt(te + 2 + nameLength) !== 0x3e ||
            te - ts > maxTextLength ||
            elementCount + 1 > maxElements
          )
            break;
          let same = true;
          for (let k = 0; k < nameLength; k++)
            if (s.charCodeAt(te + 2 + k) !== s.charCodeAt(ns + k)) {
              same = false;
              break;
            }
          if (!same) break;
          elementCount++;
          handler.item(ts, te, depth);
          i = te + 3 + nameLength;
        }
      }
    }
  }
  return sawRoot && depth === 0;
}
