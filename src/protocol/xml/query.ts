import { AppError } from '../../errors.js';
import type { XmlAttribute, XmlElement } from './node.js';

/** Child elements of `el`, optionally only those named (uri, local). */
export function childElements(el: XmlElement, uri?: string, local?: string): XmlElement[] {
  const out: XmlElement[] = [];
  for (const c of el.children) {
    if (c.kind !== 'element') continue;
    if (local !== undefined && (c.local !== local || c.uri !== uri)) continue;
    out.push(c);
  }
  return out;
}

/** The first child element named (uri, local), or undefined. */
export function childElement(el: XmlElement, uri: string, local: string): XmlElement | undefined {
  for (const c of el.children) if (c.kind === 'element' && c.local === local && c.uri === uri) return c;
  return undefined;
}

/** Like childElement, but a missing element is an InvalidParameters error naming `paramPath`. */
export function requireChild(el: XmlElement, uri: string, local: string, paramPath: string): XmlElement {
  const c = childElement(el, uri, local);
  if (!c) throw invalidParameter(paramPath, `missing element ${local}`);
  return c;
}

/** Concatenated text of the element's direct text children (no descendants). */
export function textOf(el: XmlElement): string {
  let s = '';
  for (const c of el.children) if (c.kind === 'text') s += c.text;
  return s;
}

/** Attribute value by local name and namespace URI ('' = unprefixed). */
export function attributeValue(el: XmlElement, local: string, uri = ''): string | undefined {
  for (const a of el.attributes)
    if (a.local === local && a.uri === uri && !isNamespaceDeclaration(a)) return a.value;
  return undefined;
}

export function isNamespaceDeclaration(a: XmlAttribute): boolean {
  return a.qname === 'xmlns' || a.prefix === 'xmlns';
}

/** The typed error every decoder raises for a bad field; `parameter` becomes the WSUS fault Message. */
export function invalidParameter(parameter: string, reason: string): AppError {
  return new AppError('PB_ERR_INVALID_PARAMETER', `${parameter}: ${reason}`, { detail: { parameter } });
}
