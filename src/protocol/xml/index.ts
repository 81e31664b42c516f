export type { XmlAttribute, XmlElement, XmlNode, XmlText } from './node.js';
export { type XmlReadLimits, soapRequestLimits, updateDocumentLimits } from './limits.js';
export { parseXml, decodeXmlBytes } from './reader.js';
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
