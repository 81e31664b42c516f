export type { XmlAttribute, XmlElement, XmlNode, XmlText } from './node.js';
export { type XmlReadLimits, soapRequestLimits, updateDocumentLimits } from './limits.js';
export { parseXml, decodeXmlBytes, parseTextWithSaxes } from './reader.js';
export { scanPlainXml, type PlainTag, type PlainXmlHandler } from './plain-scanner.js';
export { TreeBuilder } from './fast-reader.js';
export {
  childElements,
  childElement,
  requireChild,
  textOf,
  attributeValue,
  isNamespaceDeclaration,
  invalidParameter,
} from './query.js';
export {
  escapeXml,
  xmlDeclaration,
  el,
  textEl,
  optionalTextEl,
  literalArray,
  xmlDocument,
  type XmlAttrs,
  type XmlContent,
} from './writer.js';
