import { SaxesParser, type SaxesTagNS } from 'saxes';
import { AppError } from '../../errors.js';
import type { XmlAttribute, XmlElement, XmlNode } from './node.js';
import { soapRequestLimits, type XmlReadLimits } from './limits.js';
import { parseXmlFast } from './fast-reader.js';

/** Feeding saxes in slices lets a limit or a DOCTYPE stop the parse early instead of after the whole body. */
const sliceChars = 64 * 1024;

interface MutableElement {
  kind: 'element';
  uri: string;
  local: string;
  prefix: string;
  attributes: XmlAttribute[];
  children: XmlNode[];
}

/**
 * Decodes bytes to text: UTF-16LE when a UTF-16LE BOM is present or the document starts with `<\0`
 * (update documents from cabinets are UTF-16LE without BOM), UTF-16BE likewise, else UTF-8.
 */
export function decodeXmlBytes(bytes: Uint8Array): string {
  const b0 = bytes[0];
  const b1 = bytes[1];
  if (b0 === 0xff && b1 === 0xfe)
    return new TextDecoder('utf-16le', { fatal: true }).decode(bytes.subarray(2));
  if (b0 === 0xfe && b1 === 0xff)
    return new TextDecoder('utf-16be', { fatal: true }).decode(bytes.subarray(2));
  if (b0 === 0x3c && b1 === 0x00) return new TextDecoder('utf-16le', { fatal: true }).decode(bytes);
  if (b0 === 0x00 && b1 === 0x3c) return new TextDecoder('utf-16be', { fatal: true }).decode(bytes);
  const start = b0 === 0xef && b1 === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  return new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(start));
}

function limitError(what: string, limit: number): AppError {
  return new AppError('PB_ERR_XML_LIMIT', `XML ${what} exceeds the limit of ${limit}`, {
    detail: { limit: what },
  });
}

/**
 * Parses a whole XML document into a namespace-aware tree, enforcing `limits`. Throws AppError
 * (PB_ERR_XML_MALFORMED, PB_ERR_XML_DOCTYPE, PB_ERR_XML_LIMIT) and nothing else.
 * Comments and processing instructions are dropped; CDATA becomes text; adjacent text is merged.
 */
export function parseXml(input: string | Uint8Array, limits: XmlReadLimits = soapRequestLimits): XmlElement {
  if (typeof input !== 'string') {
    if (input.byteLength > limits.maxBytes) throw limitError('body size', limits.maxBytes);
    try {
      input = decodeXmlBytes(input);
    } catch (e) {
      throw new AppError('PB_ERR_XML_MALFORMED', 'XML is not valid UTF-8 or UTF-16', { cause: e });
    }
  } else if (input.length > limits.maxBytes) {
    throw limitError('body size', limits.maxBytes);
  }

  // Plain documents take the fast path (the same tree, faster); anything unusual or bad goes to saxes.
  return parseXmlFast(input, limits) ?? parseTextWithSaxes(input, limits);
}

/**
 * The saxes reader over already-decoded text (no size check). Exported for the differential tests that
 * compare it with the fast path; use parseXml everywhere else.
 */
export function parseTextWithSaxes(input: string, limits: XmlReadLimits): XmlElement {
  const parser = new SaxesParser({ xmlns: true, position: false });
  const stack: MutableElement[] = [];
  let root: MutableElement | undefined;
  let elementCount = 0;
  let pendingText = '';

  const flushText = (): void => {
    if (pendingText.length === 0) return;
    const top = stack[stack.length - 1];
    // Text outside the root element can only be whitespace (saxes rejects anything else).
    if (top) top.children.push({ kind: 'text', text: pendingText });
    pendingText = '';
  };
  const addText = (text: string): void => {
    if (pendingText.length + text.length > limits.maxTextLength)
      throw limitError('text length', limits.maxTextLength);
    pendingText += text;
  };

  parser.on('doctype', () => {
    throw new AppError('PB_ERR_XML_DOCTYPE', 'XML with a DOCTYPE is not accepted');
  });
  parser.on('text', addText);
  parser.on('cdata', addText);
  // Limits are checked when a tag is complete: 'opentagstart'/'attribute' handlers make saxes ~5x slower
  // (measured), and the body-size limit already bounds a tag before it completes.
  parser.on('opentag', (tag: SaxesTagNS) => {
    flushText();
    if (++elementCount > limits.maxElements) throw limitError('element count', limits.maxElements);
    if (stack.length + 1 > limits.maxDepth) throw limitError('nesting depth', limits.maxDepth);
    if (tag.name.length > limits.maxNameLength) throw limitError('name length', limits.maxNameLength);
    const attrNames = Object.keys(tag.attributes);
    if (attrNames.length > limits.maxAttributes) throw limitError('attribute count', limits.maxAttributes);
    const attributes: XmlAttribute[] = [];
    for (const qname of attrNames) {
      const a = tag.attributes[qname]!;
      if (a.value.length > limits.maxTextLength) throw limitError('attribute length', limits.maxTextLength);
      if (qname.length > limits.maxNameLength) throw limitError('name length', limits.maxNameLength);
      attributes.push({ qname, prefix: a.prefix, local: a.local, uri: a.uri, value: a.value });
    }
    const el: MutableElement = {
      kind: 'element',
      uri: tag.uri,
      local: tag.local,
      prefix: tag.prefix,
      attributes,
      children: [],
    };
    const parent = stack[stack.length - 1];
    if (parent) parent.children.push(el);
    else root = el;
    stack.push(el);
  });
  parser.on('closetag', () => {
    flushText();
    stack.pop();
  });
  parser.on('error', (err) => {
    throw new AppError('PB_ERR_XML_MALFORMED', `Malformed XML: ${err.message}`, { cause: err });
  });

  try {
    for (let i = 0; i < input.length; i += sliceChars) parser.write(input.slice(i, i + sliceChars));
    parser.close();
  } catch (e) {
    if (e instanceof AppError) throw e;
    // saxes reports most problems through 'error' (above); anything else thrown while parsing is still bad input.
    throw new AppError(
      'PB_ERR_XML_MALFORMED',
      `Malformed XML: ${e instanceof Error ? e.message : String(e)}`,
      {
        cause: e,
      },
    );
  }
  if (!root) throw new AppError('PB_ERR_XML_MALFORMED', 'Malformed XML: no root element');
  return root;
}
