import { escapeXml, type XmlElement } from '../xml/index.js';
import {
  baseApplicabilityRulesNs,
  msiApplicabilityRulesNs,
  msiPatchNs,
  windowsDriverNs,
  xsiNs,
} from './namespaces.js';

/**
 * Serializes a subtree of an update document the way WS2025 writes MS-WUSP fragments (docs/protocol/client.md §1.7):
 * - namespaces stripped: every `xmlns`/`xmlns:*` declaration dropped, elements by local name, except
 *   BaseApplicabilityRules -> `b.Name`, MsiApplicabilityRules -> `m.Name`, WindowsDriver -> `d.Name`;
 * - attributes by local name in document order; `xsi:type` -> `type` with its value (and prefix) as written;
 * - `MsiPatch` elements keep their `xmlns` declaration (WSUS-RS 12.16);
 * - `d.WindowsDriverMetaData` keeps its attributes but loses its children (MS-SAMPLE);
 * - an element without children is written `<X a="1" />` (space before `/>`, as WS2025 does);
 * - text and attribute values go through the project's one escape function.
 */
export function writeElement(el: XmlElement): string {
  const name = fragmentName(el);
  let s = `<${name}${writeAttributes(el)}`;
  if (el.children.length === 0 || (el.uri === windowsDriverNs && el.local === 'WindowsDriverMetaData'))
    return `${s} />`;
  s += '>';
  for (const c of el.children) s += c.kind === 'text' ? escapeXml(c.text, 'text') : writeElement(c);
  return `${s}</${name}>`;
}

/** The element name inside a fragment (see writeElement). */
export function fragmentName(el: XmlElement): string {
  switch (el.uri) {
    case baseApplicabilityRulesNs:
      return `b.${el.local}`;
    case msiApplicabilityRulesNs:
      return `m.${el.local}`;
    case windowsDriverNs:
      return `d.${el.local}`;
    default:
      return el.local;
  }
}

/** ` a="v"` for every attribute that survives namespace stripping, in document order. */
export function writeAttributes(el: XmlElement, skip?: ReadonlySet<string>): string {
  let s = '';
  let msiPatchDeclared = false;
  const isMsiPatch = el.local === 'MsiPatch' && el.uri === msiPatchNs;
  for (const a of el.attributes) {
    if (a.prefix === 'xmlns') continue;
    if (a.qname === 'xmlns') {
      if (isMsiPatch) {
        s += ` xmlns="${escapeXml(a.value)}"`;
        msiPatchDeclared = true;
      }
      continue;
    }
    const name = a.uri === xsiNs && a.local === 'type' ? 'type' : a.local;
    if (skip?.has(name)) continue;
    s += ` ${name}="${escapeXml(a.value)}"`;
  }
  // An MsiPatch whose namespace was declared by an ancestor still needs it once the ancestors lose theirs.
  if (isMsiPatch && !msiPatchDeclared) s = ` xmlns="${msiPatchNs}"${s}`;
  return s;
}
