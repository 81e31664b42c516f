import type { XmlReadLimits } from '../xml/index.js';

/**
 * Hard limits for MS-WSUSSS messages from an upstream (untrusted input, docs/protocol/security.md §5.1 item 15 and §5.2).
 * Revision lists are not paged (WS2025 sent 24,509 identities, 3 MB, in one body; Microsoft Update has far
 * more), so the list limits are generous but finite.
 */
export interface ServerSyncLimits {
  /** Identities in one GetRevisionIdList answer. */
  readonly maxListedRevisions: number;
  /** ServerSyncUpdateData items in one GetUpdateData answer (the request never asks for more than ~100). */
  readonly maxUpdatesPerResponse: number;
  /** ServerSyncUrlData items in one GetUpdateData answer. */
  readonly maxFileUrls: number;
  /** Files (FileDigestList items) of one update. */
  readonly maxFilesPerUpdate: number;
  /** Bytes of one decoded update document (plain or decompressed from its cabinet). */
  readonly maxDocumentBytes: number;
  /** Bytes of one compressed cabinet blob (after base64). */
  readonly maxCabinetBytes: number;
  /** Bytes of an authorization cookie or a session cookie's EncryptedData. */
  readonly maxCookieBytes: number;
  /** Entries of the language list in GetConfigData. */
  readonly maxLanguages: number;
  /** Target groups in one GetDeployments answer (an upstream lists all of its groups). */
  readonly maxTargetGroups: number;
  /** Deployments (and dead deployments) in one GetDeployments answer. */
  readonly maxDeployments: number;
  /** Characters of short strings (anchors, URLs, plug-in ids, language names). */
  readonly maxShortString: number;
  /** The XML reader's limits for whole response bodies. */
  readonly xml: XmlReadLimits;
}

export const defaultServerSyncLimits: ServerSyncLimits = Object.freeze({
  maxListedRevisions: 2_000_000,
  maxUpdatesPerResponse: 10_000,
  maxFileUrls: 200_000,
  maxFilesPerUpdate: 10_000,
  maxDocumentBytes: 64 * 1024 * 1024,
  maxCabinetBytes: 64 * 1024 * 1024,
  maxCookieBytes: 16 * 1024,
  maxLanguages: 1024,
  maxTargetGroups: 10_000,
  maxDeployments: 1_000_000,
  maxShortString: 4096,
  xml: Object.freeze({
    maxBytes: 512 * 1024 * 1024,
    maxDepth: 64,
    maxElements: 8_000_000,
    maxAttributes: 64,
    maxTextLength: 128 * 1024 * 1024,
    maxNameLength: 256,
  }),
});
