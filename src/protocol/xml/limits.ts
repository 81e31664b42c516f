/**
 * Hard limits for every XML read. Untrusted input (SOAP bodies, upstream documents) is refused with
 * PB_ERR_XML_LIMIT as soon as a limit is crossed, so memory per request stays bounded.
 */
export interface XmlReadLimits {
  /** Whole input, in bytes (or UTF-16 code units x 2 for strings). */
  readonly maxBytes: number;
  /** Element nesting depth. */
  readonly maxDepth: number;
  /** Total number of elements in the document. */
  readonly maxElements: number;
  /** Attributes on one element. */
  readonly maxAttributes: number;
  /** Characters in one text node (after entity decoding) or one attribute value. */
  readonly maxTextLength: number;
  /** Characters in an element or attribute name. */
  readonly maxNameLength: number;
}

/** Defaults sized for SOAP requests from Windows clients (real SyncUpdates requests are 23-100 KB). */
export const soapRequestLimits: XmlReadLimits = Object.freeze({
  maxBytes: 4 * 1024 * 1024,
  maxDepth: 48,
  maxElements: 200_000,
  maxAttributes: 64,
  maxTextLength: 1024 * 1024,
  maxNameLength: 256,
});

/**
 * Defaults sized for full update documents: real CBS documents reach 47 MB, with an embedded manifest
 * of many elements (docs/protocol/update-xml.md §3.2).
 */
export const updateDocumentLimits: XmlReadLimits = Object.freeze({
  maxBytes: 256 * 1024 * 1024,
  maxDepth: 128,
  maxElements: 5_000_000,
  maxAttributes: 256,
  maxTextLength: 64 * 1024 * 1024,
  maxNameLength: 512,
});
