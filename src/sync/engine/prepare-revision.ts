import { filesToHold, type UpdateIdentity } from '../../domain/index.js';
import { isAppError } from '../../errors.js';
import {
  decodeUpdateBlobText,
  type ServerSyncLimits,
  type ServerSyncUpdateData,
} from '../../protocol/server-sync/index.js';
import {
  deriveFragments,
  parseUpdateDocument,
  maxDriverMetadataPerDocument,
  type CategoryType,
  type UpdateDocument,
} from '../../protocol/update-xml/index.js';
import { updateDocumentLimits } from '../../protocol/xml/index.js';
import { encodeBlob, type RevisionInput } from '../../storage/index.js';

/**
 * Stable quarantine reason codes (stored in quarantine.reason_code, shown by `catalog quarantine`):
 * - fetch/document: `blob_missing`, `blob_too_large`, `cabinet_malformed`, `xml_malformed`, `xml_limit`,
 *   `document_invalid` (detail names the update-xml reason), `identity_mismatch`, `file_digest_missing`,
 *   `file_digest_malformed`, `file_digest_mismatch`, `upstream_fault` (the id alone makes GetUpdateData fault);
 * - closure: `dangling_prerequisite`, `missing_bundle_member`, `dependency` (depends on a quarantined revision);
 * - `revision_rollback`: the upstream offered a lower revision than one already held (R6), refused;
 * - `file_url_refused`: a file's MUUrl is not an http(s) URL (`file:`, a UNC path, `ftp:`...): the downloader
 *   would never fetch it, and a downstream or client must never be told to;
 * - `driver_limit`: a driver document lists more `WindowsDriverMetaData` (hardware ids) than
 *   `maxDriverMetadataPerDocument`: refused whole so no catalog can flood the driver index.
 */
export type QuarantineReason =
  | 'blob_missing'
  | 'blob_too_large'
  | 'cabinet_malformed'
  | 'xml_malformed'
  | 'xml_limit'
  | 'document_invalid'
  | 'identity_mismatch'
  | 'file_digest_missing'
  | 'file_digest_malformed'
  | 'file_digest_mismatch'
  | 'upstream_fault'
  | 'dangling_prerequisite'
  | 'missing_bundle_member'
  | 'dependency'
  | 'revision_rollback'
  | 'file_url_refused'
  | 'driver_limit';

/** Reasons decided by the closure check: re-evaluated on every sync, no re-fetch needed. */
export const closureReasons: ReadonlySet<string> = new Set([
  'dangling_prerequisite',
  'missing_bundle_member',
  'dependency',
]);

export type Prepared =
  | {
      readonly ok: true;
      readonly identity: UpdateIdentity;
      readonly input: RevisionInput;
      /** What the engine needs from the document after the commit (the parsed tree stays behind). */
      readonly facts: {
        readonly updateType: string;
        readonly categoryType: CategoryType | null;
        readonly fileSha1s: readonly Buffer[];
        /** The files held with `[content] express` off (domain/express-files.ts). */
        readonly heldFileSha1s: readonly Buffer[];
      };
    }
  | {
      readonly ok: false;
      readonly identity: UpdateIdentity;
      readonly reason: QuarantineReason;
      readonly detail: string;
    };

const sha1Base64 = /^[A-Za-z0-9+/]{27}=$/;

/**
 * Below this size a blob is stored as is: each gzip call costs a zlib stream set-up (~0.1 ms) that dominated
 * the import profile for the typical 1-4 KB documents and fragments, for a few hundred bytes saved.
 */
const compressAbove = 4096;

function store(text: string) {
  const raw = Buffer.from(text, 'utf8');
  return encodeBlob(raw, raw.length <= compressAbove ? 'none' : 'gzip');
}

function fail(identity: UpdateIdentity, reason: QuarantineReason, detail: string): Prepared {
  return { ok: false, identity, reason, detail: detail.slice(0, 1000) };
}

const categoryKinds: Record<CategoryType, string> = {
  Product: 'product',
  UpdateClassification: 'classification',
  Company: 'company',
  ProductFamily: 'product_family',
};

/**
 * The per-revision properties the WSUS views show (vUpdate SecurityBulletin, Installation*, Uninstallation*)
 * from a parsed document, in storage terms. Shared by the importer and the test catalog seeders.
 */
export function revisionPropertiesOf(
  doc: UpdateDocument,
): Pick<
  RevisionInput,
  'securityBulletinIds' | 'installationBehavior' | 'uninstallationBehavior' | 'uninstallNotes'
> {
  const en =
    doc.localizedProperties.find((l) => l.language.toLowerCase() === 'en') ?? doc.localizedProperties[0];
  return {
    securityBulletinIds: doc.securityBulletinIds,
    installationBehavior: doc.installationBehavior ?? null,
    uninstallationBehavior: doc.uninstallationBehavior ?? null,
    uninstallNotes: en?.uninstallNotes ?? null,
  };
}

/**
 * Turns one `ServerSyncUpdateData` into what the repository stores, or a quarantine verdict. Nothing thrown
 * here stops the sync: every problem of one update becomes a reason for that update alone (the July 2025
 * lesson). Validates: blob decodes within the size limit, the document is well-formed and a valid update, its
 * identity equals the requested one, every file digest is a well-formed SHA-1 and the `FileDigestList` lists
 * exactly the document's files. Precomputes Core/Extended/Localized fragments and compresses (gzip level 1)
 * outside the write transaction.
 */
export function prepareRevision(
  item: ServerSyncUpdateData,
  muUrls: ReadonlyMap<string, string>,
  categoryTypes: ReadonlyMap<string, CategoryType | null>,
  limits: ServerSyncLimits,
): Prepared {
  const identity = item.identity;
  // Plain blobs stay the string the SOAP decoder produced; cabinet members (UTF-16LE) are decoded once.
  // Every document is stored as UTF-8 text (store() encodes it once).
  let text: string;
  try {
    text = decodeUpdateBlobText(item.blob, limits);
  } catch (e) {
    const r = isAppError(e) ? e.detail?.reason : undefined;
    const msg = e instanceof Error ? e.message : String(e);
    if (r === 'missing-blob') return fail(identity, 'blob_missing', msg);
    if (r === 'blob-too-large') return fail(identity, 'blob_too_large', msg);
    return fail(identity, 'cabinet_malformed', msg);
  }
  let doc: UpdateDocument;
  try {
    doc = parseUpdateDocument(text, {
      limits: { ...updateDocumentLimits, maxBytes: Math.max(limits.maxDocumentBytes * 2, 1024) },
    });
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    if (isAppError(e) && e.code === 'PB_ERR_UPDATE_DOCUMENT')
      return fail(identity, 'document_invalid', `${String(e.detail?.reason)}: ${msg}`);
    if (isAppError(e) && e.code === 'PB_ERR_XML_LIMIT') return fail(identity, 'xml_limit', msg);
    return fail(identity, 'xml_malformed', msg);
  }
  if (doc.identity.updateId !== identity.updateId || doc.identity.revisionNumber !== identity.revisionNumber)
    return fail(
      identity,
      'identity_mismatch',
      `document says ${doc.identity.updateId}/${doc.identity.revisionNumber}`,
    );

  const listed = new Set<string>();
  for (const d of item.fileDigests) {
    if (!sha1Base64.test(d))
      return fail(
        identity,
        'file_digest_malformed',
        `FileDigestList entry ${JSON.stringify(d.slice(0, 64))}`,
      );
    listed.add(d);
  }
  for (const f of doc.files) {
    if (f.sha1.length !== 20) return fail(identity, 'file_digest_malformed', `file ${f.fileName}`);
    if (!listed.has(f.sha1Base64))
      return fail(
        identity,
        listed.size === 0 ? 'file_digest_missing' : 'file_digest_mismatch',
        `file ${f.fileName} digest ${f.sha1Base64} not in FileDigestList`,
      );
  }
  for (const f of doc.files) {
    const url = muUrls.get(f.sha1Base64);
    if (url !== undefined && !isHttpUrl(url))
      return fail(
        identity,
        'file_url_refused',
        `file ${f.fileName} MUUrl ${JSON.stringify(url.slice(0, 200))} is not an http(s) URL`,
      );
  }
  if (doc.drivers.count > maxDriverMetadataPerDocument)
    return fail(
      identity,
      'driver_limit',
      `the document lists ${doc.drivers.count} driver hardware ids (WindowsDriverMetaData); at most ${maxDriverMetadataPerDocument} are accepted`,
    );
  if (doc.drivers.problem !== undefined)
    return fail(identity, 'document_invalid', `bad-driver-metadata: ${doc.drivers.problem}`);
  if (listed.size > new Set(doc.files.map((f) => f.sha1Base64)).size)
    return fail(identity, 'file_digest_mismatch', 'FileDigestList names files the document does not have');

  const input = revisionInputFromDocument(doc, text, categoryTypes, muUrls);
  return {
    ok: true,
    identity,
    input,
    facts: {
      updateType: doc.updateType,
      categoryType: doc.categoryInformation?.categoryType ?? null,
      fileSha1s: doc.files.map((f) => f.sha1),
      heldFileSha1s: filesToHold(doc.files, false).map((f) => f.sha1),
    },
  };
}

/**
 * The stored form of a parsed update document: typed columns, the original text, precomputed fragments and
 * relationships. The importer's one mapping; tests that seed catalogs call it too.
 */
export function revisionInputFromDocument(
  doc: UpdateDocument,
  text: string,
  categoryTypes: ReadonlyMap<string, CategoryType | null>,
  muUrls: ReadonlyMap<string, string> = new Map(),
): RevisionInput {
  const identity = doc.identity;
  const fragments = deriveFragments(doc);
  const en =
    doc.localizedProperties.find((l) => l.language.toLowerCase() === 'en') ?? doc.localizedProperties[0];
  const created = doc.creationDate === undefined ? NaN : Date.parse(doc.creationDate);
  return {
    updateId: identity.updateId,
    revisionNumber: identity.revisionNumber,
    updateType: doc.updateType,
    isExplicitlyDeployable: doc.explicitlyDeployable,
    publicationState: doc.publicationState ?? null,
    handler: doc.handler ?? null,
    title: en?.title ?? null,
    kbArticleId: doc.kbArticleIds[0] ?? null,
    msrcSeverity: doc.msrcSeverity ?? null,
    creationDateAt: Number.isFinite(created) ? created : null,
    maxDownloadSize: doc.maxDownloadSize ?? null,
    ...revisionPropertiesOf(doc),
    document: store(text),
    coreFragment: store(fragments.core),
    extendedFragment: store(fragments.extended),
    localized: doc.localizedProperties.map((l) => ({
      language: l.language.toLowerCase(),
      title: l.title,
      description: l.description ?? null,
      fragment: store(fragments.localized.get(l.language.toLowerCase()) ?? ''),
    })),
    prerequisites: doc.prerequisites.map((c) => ({ isCategory: c.isCategory, updateIds: c.anyOf })),
    bundledUpdates: doc.bundledUpdates.map((g) => g.anyOf),
    supersededUpdateIds: doc.supersededUpdateIds,
    categories: doc.categoryIds.map((c) => {
      const t = categoryTypes.get(c);
      return { updateId: c, kind: t ? categoryKinds[t] : 'other' };
    }),
    files: doc.files.map((f) => ({
      sha1: f.sha1,
      sha256: f.sha256 ?? null,
      size: f.size,
      name: f.fileName,
      muUrl: muUrls.get(f.sha1Base64) ?? null,
      patchingType: f.patchingType ?? null,
    })),
    drivers: doc.drivers.entries,
    category:
      doc.updateType === 'Category'
        ? {
            categoryType: doc.categoryInformation?.categoryType ?? null,
            displayOrder: doc.categoryInformation?.displayOrder ?? null,
            prohibitsSubcategories: doc.categoryInformation?.prohibitsSubcategories ?? false,
            prohibitsUpdates: doc.categoryInformation?.prohibitsUpdates ?? false,
            excludedByDefault: doc.categoryInformation?.excludedByDefault ?? false,
          }
        : undefined,
  };
}

/** An absolute http(s) URL with a host: what a download may follow. Backslashes would be a UNC path in disguise. */
function isHttpUrl(text: string): boolean {
  if (text.length > 2048 || /[\s\\]/.test(text)) return false;
  try {
    const u = new URL(text);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname !== '';
  } catch {
    return false;
  }
}
