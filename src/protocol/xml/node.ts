/**
 * A small namespace-aware XML tree. Elements are identified by (namespace URI, local name), never by prefix.
 * `prefix` is kept only so that fragment derivation can reproduce names such as `xsi:type` values;
 * `rawAttributes` keeps the attributes in document order, with their qualified names as written.
 */
export interface XmlAttribute {
  /** Qualified name as written, e.g. `xsi:type`, `UpdateID`, `xmlns:upd`. */
  readonly qname: string;
  readonly prefix: string;
  readonly local: string;
  /** Namespace URI of the attribute ('' for unprefixed attributes). */
  readonly uri: string;
  readonly value: string;
}

export interface XmlElement {
  readonly kind: 'element';
  readonly uri: string;
  readonly local: string;
  readonly prefix: string;
  readonly attributes: readonly XmlAttribute[];
  readonly children: readonly XmlNode[];
}

export interface XmlText {
  readonly kind: 'text';
  readonly text: string;
}

export type XmlNode = XmlElement | XmlText;
