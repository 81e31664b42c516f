/**
 * The XML writer: typed template functions over one escape function. Elements come out in exactly the order
 * the caller passes them (WSDL sequence order is the caller's job), attributes in insertion order, so the
 * output is byte-predictable and cheap (strings joined once, no tree).
 *
 * Escaping rule (one function for character data AND attribute values, attributes always in double quotes):
 * - `&` `<` `>` become `&amp;` `&lt;` `&gt;` everywhere (`>` too, so `]]>` can never appear, as .NET writes
 *   `<Xml>` fragments: `&lt;UpdateIdentity UpdateID="…" /&gt;`).
 * - `"` becomes `&quot;` in attribute values (the default context). In character data it is written as is,
 *   because WS2025 does (`<Method>"http://…"</Method>`, `UpdateID="…"` inside `<Xml>`), and faults and
 *   fragments are compared byte for byte with the captures.
 * - CR becomes `&#xD;`, so a carriage return survives a round trip instead of being normalised to LF by
 *   the reader (XML 1.0 section 2.11).
 * - Characters that XML 1.0 forbids (C0 controls other than TAB/LF/CR, lone surrogates, U+FFFE, U+FFFF) are
 *   REPLACED by U+FFFD. They can only come from untrusted stored strings (e.g. reporting text); refusing them
 *   would fail a whole response for one bad character, and emitting them would make the client reject it.
 * TAB and LF are written as is (harmless in character data; we emit no attribute values that contain them).
 */

/** Anything that needs work: the escapes and every character XML 1.0 refuses (attribute / text context). */
// eslint-disable-next-line no-control-regex
const needsEscape = /[&<>"\r\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF\uD800-\uDFFF]/u;
// eslint-disable-next-line no-control-regex
const escapeAll = /[&<>"\r\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF\uD800-\uDFFF]/gu;
// eslint-disable-next-line no-control-regex
const needsTextEscape = /[&<>\r\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF\uD800-\uDFFF]/u;
// eslint-disable-next-line no-control-regex
const escapeText = /[&<>\r\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF\uD800-\uDFFF]/gu;

function replacement(ch: string): string {
  switch (ch) {
    case '&':
      return '&amp;';
    case '<':
      return '&lt;';
    case '>':
      return '&gt;';
    case '"':
      return '&quot;';
    case '\r':
      return '&#xD;';
    default:
      return '\uFFFD';
  }
}

/**
 * The one escape function; see the module comment for the rule. `context` defaults to 'attribute' (also
 * safe in text); 'text' leaves `"` unescaped as WS2025 writes character data.
 */
export function escapeXml(value: string, context: 'attribute' | 'text' = 'attribute'): string {
  // Most values (ids, GUIDs, dates, base64) need nothing: test first, replace only when needed.
  if (context === 'text') return needsTextEscape.test(value) ? value.replace(escapeText, replacement) : value;
  return needsEscape.test(value) ? value.replace(escapeAll, replacement) : value;
}

/** `<?xml version="1.0" encoding="utf-8"?>` exactly as ASMX services write it. */
export const xmlDeclaration = '<?xml version="1.0" encoding="utf-8"?>';

/** Attributes in the order given; `undefined` values are omitted (optional attributes). */
export type XmlAttrs = Readonly<Record<string, string | number | boolean | undefined>>;

/** Element content: already-serialized XML (from `el`/`textEl`/`escapeXml`), or a list joined in order. */
export type XmlContent = string | readonly string[];

function attrs(a: XmlAttrs | undefined): string {
  if (a === undefined) return '';
  let s = '';
  for (const name in a) {
    const v = a[name];
    if (v === undefined) continue;
    s += ` ${name}="${escapeXml(String(v))}"`;
  }
  return s;
}

/**
 * An element. `content` is serialized XML (children built with `el`/`textEl`, or `escapeXml(text, 'text')`).
 * No content (undefined, or an empty list) writes the self-closing form `<name/>`, as WS2025 does for empty
 * arrays and `RegisterComputerResponse`. Names are compile-time constants of the codecs, never input.
 */
export function el(name: string, attributes?: XmlAttrs, content?: XmlContent): string {
  const open = `<${name}${attrs(attributes)}`;
  if (content === undefined) return `${open}/>`;
  const inner = typeof content === 'string' ? content : content.join('');
  return inner.length === 0 && typeof content !== 'string' ? `${open}/>` : `${open}>${inner}</${name}>`;
}

/**
 * An element holding escaped text. Always written as a start/end pair, even for '' — WSUS writes
 * `<Message></Message>` in faults; use `el(name)` for the self-closing form.
 */
export function textEl(name: string, value: string | number | boolean, attributes?: XmlAttrs): string {
  return `<${name}${attrs(attributes)}>${escapeXml(String(value), 'text')}</${name}>`;
}

/** An optional text element: nothing at all when the value is undefined (WS2025 omits unused optionals). */
export function optionalTextEl(name: string, value: string | number | boolean | undefined): string {
  return value === undefined ? '' : textEl(name, value);
}

/** A literal array (`<Name><int>1</int>…</Name>`, docs/protocol/client.md §1.2); an empty array is `<Name/>`. */
export function literalArray(
  name: string,
  itemName: string,
  items: Iterable<string | number | boolean>,
  attributes?: XmlAttrs,
): string {
  const parts: string[] = [];
  for (const v of items) parts.push(textEl(itemName, v));
  return el(name, attributes, parts);
}

/** A whole document: the root, optionally preceded by the XML declaration. */
export function xmlDocument(root: string, options: { declaration: boolean }): string {
  return options.declaration ? xmlDeclaration + root : root;
}
