/**
 * The one normalization under which Patchbay's derived MS-WUSP fragments are compared with the fragments the
 * real WS2025 server sent (test/fixtures/wsus/wsus-m0-wsusss/wusp-reference). It removes exactly these
 * differences, which carry no meaning for a Windows Update client, and NOTHING else:
 *
 * 1. Attribute order: attributes inside each start tag are sorted by name (XML gives attribute order no
 *    meaning; WS2025's own order is deterministic for the shapes we have and the derivation emits it, so on
 *    today's fixtures this rule changes nothing — it is here so a future capture with another order does not
 *    fail for a meaningless reason).
 * 2. Empty-element tag spacing: `<X a="1"/>` and `<X a="1" />` both become `<X a="1" />` (WS2025 writes the
 *    space; other writers do not). `<X></X>` is NOT turned into `<X />`.
 * 3. Entity forms: character and entity references are decoded and the text re-escaped one canonical way
 *    (`&` `<` `>` in text; `&` `<` `>` `"` in attribute values), so `&#39;`/`'`, `&gt;`/`>`, `&#x26;`/`&amp;`
 *    compare equal. Attribute quotes become double quotes.
 * 4. The redacted LinkId: inside `<SupportUrl>` text, the value of a `LinkId=` query parameter becomes
 *    `REDACTED` (the capture's sanitizer replaced it in the localized `SupportUrl`; wsus-m0-wsusss README).
 *
 * Whitespace, element names, element order, text and attribute values are compared exactly. Fragments are
 * not well-formed documents (Core has no wrapper), so this is a small lenient tokenizer, not the XML reader.
 */
export function normalizeFragment(fragment: string): string {
  let out = '';
  let i = 0;
  let inSupportUrl = 0;
  while (i < fragment.length) {
    const lt = fragment.indexOf('<', i);
    const textEnd = lt === -1 ? fragment.length : lt;
    if (textEnd > i) {
      let text = escapeText(decodeReferences(fragment.slice(i, textEnd)));
      if (inSupportUrl > 0) text = text.replace(/([?&]LinkId=)[^&]*/gi, '$1REDACTED');
      out += text;
    }
    if (lt === -1) break;
    const gt = findTagEnd(fragment, lt);
    const tag = fragment.slice(lt, gt + 1);
    i = gt + 1;
    if (tag.startsWith('</')) {
      const name = tag.slice(2, -1).trim();
      if (name === 'SupportUrl') inSupportUrl--;
      out += `</${name}>`;
      continue;
    }
    const m = /^<([^\s/>]+)([\s\S]*?)(\/?)>$/.exec(tag);
    if (!m) throw new Error(`normalizeFragment: not a tag: ${tag.slice(0, 80)}`);
    const [, name, attrText, selfClosing] = m as unknown as [string, string, string, string];
    const attrs = parseAttributes(attrText);
    attrs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    out += `<${name}${attrs.map(([n, v]) => ` ${n}="${escapeAttribute(v)}"`).join('')}${selfClosing ? ' />' : '>'}`;
    if (!selfClosing && name === 'SupportUrl') inSupportUrl++;
  }
  return out;
}

/** The end of the tag starting at `lt`, skipping `>` inside quoted attribute values. */
function findTagEnd(s: string, lt: number): number {
  let quote = '';
  for (let j = lt + 1; j < s.length; j++) {
    const c = s[j];
    if (quote) {
      if (c === quote) quote = '';
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '>') return j;
  }
  throw new Error(`normalizeFragment: unterminated tag at ${lt}`);
}

function parseAttributes(text: string): [string, string][] {
  const out: [string, string][] = [];
  const re = /\s*([^\s=]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/gy;
  let m: RegExpExecArray | null;
  let end = 0; // a failed sticky exec resets lastIndex, so remember where the last match ended
  while ((m = re.exec(text)) !== null) {
    out.push([m[1]!, decodeReferences(m[2] ?? m[3] ?? '')]);
    end = re.lastIndex;
  }
  if (text.slice(end).trim() !== '')
    throw new Error(`normalizeFragment: bad attributes: ${text.slice(0, 80)}`);
  return out;
}

const named: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decodeReferences(s: string): string {
  return s.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|amp|lt|gt|quot|apos);/g, (_, ref: string) => {
    if (ref.startsWith('#x')) return String.fromCodePoint(parseInt(ref.slice(2), 16));
    if (ref.startsWith('#')) return String.fromCodePoint(parseInt(ref.slice(1), 10));
    return named[ref]!;
  });
}

function escapeText(s: string): string {
  return s.replace(/[&<>]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : '&gt;'));
}

function escapeAttribute(s: string): string {
  return s.replace(/[&<>"]/g, (c) =>
    c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : '&quot;',
  );
}
