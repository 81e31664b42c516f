import { ByteLru } from '../client-service/index.js';
import { AppError } from '../errors.js';
import type { UpdateIdentity } from '../domain/index.js';
import {
  encodeUpdateBlob,
  type ServerSyncUpdateData,
  type ServerSyncUrlData,
  type UpdateBlob,
  type UpdateDataResult,
} from '../protocol/server-sync/index.js';
import { decodeBlob, type ServedRevision } from '../storage/index.js';

/** Bytes of XML around one update and one URL entry beyond their payloads (tags, identity). */
const itemOverhead = 300;

/**
 * The GetUpdateData answer for `requested` (in request order; REAL: duplicates come back twice). Any id we
 * do not serve faults the whole call InternalServerError, as WS2025 does (exchanges/000017). Each document is
 * the stored original text: plain up to 5,120 UTF-16 bytes, else an MSZIP cabinet of its UTF-16LE bytes.
 * The answer stops before `byteBudget` once it holds at least one update (a partial answer: the DSS asks
 * again for the rest, REAL 80 of 100).
 */
export function buildUpdateData(
  requested: readonly UpdateIdentity[],
  served: ReadonlyMap<string, ServedRevision>,
  byteBudget: number,
  blobOf: (rev: ServedRevision) => UpdateBlob = (rev) =>
    encodeUpdateBlob(decodeBlob(rev.document).toString('utf8')),
): UpdateDataResult {
  const revisions: [UpdateIdentity, ServedRevision][] = [];
  for (const id of requested) {
    const rev = served.get(`${id.updateId}/${id.revisionNumber}`);
    if (rev === undefined)
      throw new AppError('PB_ERR_UNKNOWN_REVISION', `${id.updateId}/${id.revisionNumber} is not served`);
    revisions.push([id, rev]);
  }
  const updates: ServerSyncUpdateData[] = [];
  const fileUrls: ServerSyncUrlData[] = [];
  let bytes = 0;
  for (const [identity, rev] of revisions) {
    const blob = blobOf(rev);
    const digests = rev.files.map((f) => f.sha1.toString('base64'));
    const urls = rev.files.map((f) => ({
      fileDigest: f.sha1.toString('base64'),
      muUrl: f.muUrl ?? '',
      ussUrl: '',
    }));
    const size =
      itemOverhead +
      (blob.kind === 'plain' ? blob.text.length * 1.2 : blob.kind === 'compressed' ? blob.base64.length : 0) +
      urls.reduce((s, u) => s + itemOverhead + u.muUrl.length + u.fileDigest.length * 2, 0);
    if (updates.length > 0 && bytes + size > byteBudget) break;
    bytes += size;
    updates.push({ identity, blob, fileDigests: digests });
    fileUrls.push(...urls);
  }
  return { updates, fileUrls };
}

/**
 * The wire blob of a served revision, cached by revision id: a revision's document never changes once stored,
 * and the MSZIP encoding of a large document costs far more than reading it (a second downstream, or the
 * retry after a partial answer, gets the cached cabinet). Level 6: cabinets here are written per answer.
 */
export class UpdateBlobCache {
  readonly #lru: ByteLru<{ rawSize: number; blob: UpdateBlob }>;

  constructor(maxBytes: number) {
    this.#lru = new ByteLru(maxBytes, (v) =>
      v.blob.kind === 'plain'
        ? v.blob.text.length * 2
        : v.blob.kind === 'compressed'
          ? v.blob.base64.length
          : 0,
    );
  }

  blobOf(rev: ServedRevision): UpdateBlob {
    const hit = this.#lru.get(rev.revisionId);
    // The stored size guards against a document replaced under the same revision id.
    if (hit !== undefined && hit.rawSize === rev.document.rawSize) return hit.blob;
    const blob = encodeUpdateBlob(decodeBlob(rev.document).toString('utf8'), { level: 6 });
    this.#lru.set(rev.revisionId, { rawSize: rev.document.rawSize, blob });
    return blob;
  }
}
