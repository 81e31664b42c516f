import { parseGuid, type UpdateId, type UpdateIdentity } from '../../domain/index.js';
import {
  decodeXmlBytes,
  parseTextWithSaxes,
  parseXml,
  updateDocumentLimits,
  type XmlElement,
  type XmlReadLimits,
} from '../xml/index.js';
import { AppError } from '../../errors.js';
import { categoryHandlerNs, updateNs, xsiNs } from './namespaces.js';
import { excerpt, updateDocumentError } from './update-document-error.js';
import { streamUpdateDocument } from './stream-update-document.js';
import { streamedPartsKey } from './streamed-parts.js';
import { DriverMetadataCollector } from './driver-metadata.js';
import { windowsDriverNs } from './namespaces.js';
import type {
  AdditionalDigest,
  BundleGroup,
  CategoryInformation,
  CategoryType,
  HandlerKind,
  InstallBehavior,
  LocalizedProperties,
  OriginalEncoding,
  PrerequisiteClause,
  UpdateDocument,
  UpdateFile,
  UpdateType,
} from './update-document.js';

export interface ParseUpdateDocumentOptions {
  /** Reader limits; default `updateDocumentLimits` (sized for 47 MB CBS documents). */
  readonly limits?: XmlReadLimits;
}

const updateTypes: ReadonlySet<string> = new Set(['Software', 'Driver', 'Category', 'Detectoid']);
const categoryTypes: ReadonlySet<string> = new Set([
  'Company',
  'ProductFamily',
  'Product',
  'UpdateClassification',
]);

const handlerKinds: ReadonlyMap<string, HandlerKind> = new Map<string, HandlerKind>([
  ['Category', 'category'],
  ['CommandLineInstallation', 'command-line-installation'],
  ['Cbs', 'cbs'],
  ['WindowsInstaller', 'windows-installer'],
  ['WindowsPatch', 'windows-patch'],
  ['WindowsSetup', 'windows-setup'],
  ['WindowsDriver', 'windows-driver'],
  ['OSInstaller', 'os-installer'],
]);

/** 0..2^31-1 in plain decimal: revision numbers and sizes are never signed, spaced or exponent-written. */
const revisionPattern = /^\d{1,10}$/;
const sizePattern = /^\d{1,16}$/;
const base64Pattern = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Parses a full `upd:Update` document (docs/protocol/update-xml.md §3): bytes as they come out of a cabinet (UTF-16LE without
 * BOM), UTF-8 bytes, or text. Returns a frozen record that keeps the given input as `original` (byte-faithful)
 * and the parsed tree as `root` for fragment derivation.
 *
 * Throws PB_ERR_XML_* for XML that is not well-formed or crosses a reader limit, and PB_ERR_UPDATE_DOCUMENT
 * with `detail.reason` (see UpdateDocumentReason) for a well-formed document that is not a valid update.
 * Unknown elements and attributes are ignored.
 */
export function parseUpdateDocument(
  input: Uint8Array | string,
  opts: ParseUpdateDocumentOptions = {},
): UpdateDocument {
  const limits = opts.limits ?? updateDocumentLimits;
  let text: string;
  let originalEncoding: OriginalEncoding;
  if (typeof input === 'string') {
    if (input.length > limits.maxBytes) throw sizeError(limits);
    text = input;
    originalEncoding = 'string';
  } else {
    if (input.byteLength > limits.maxBytes) throw sizeError(limits);
    originalEncoding = detectEncoding(input);
    try {
      text = decodeXmlBytes(input);
    } catch (e) {
      throw new AppError('PB_ERR_XML_MALFORMED', 'XML is not valid UTF-8 or UTF-16', { cause: e });
    }
  }
  // Plain documents (all real ones) stream: no tree of ApplicabilityRules (see stream-update-document.ts).
  // Anything else takes the full tree from saxes, which also gives the typed error for bad XML.
  const streamed = streamUpdateDocument(text, limits);
  if (!streamed) return interpretUpdateTree(parseTextWithSaxes(text, limits), input, originalEncoding);
  const fields = recordFields(streamed.skeleton, input, originalEncoding, streamed.drivers);
  // The full tree only on demand (nothing in Patchbay asks for it): parsed again from `original`, once.
  // Both extra properties are non-enumerable, so spreading or comparing records never builds the tree.
  let root: XmlElement | undefined;
  Object.defineProperties(fields, {
    root: { enumerable: false, get: (): XmlElement => (root ??= parseXml(input, limits)) },
    [streamedPartsKey]: { enumerable: false, value: streamed },
  });
  return Object.freeze(fields as UpdateDocument);
}

function sizeError(limits: XmlReadLimits): AppError {
  return new AppError('PB_ERR_XML_LIMIT', `XML body size exceeds the limit of ${limits.maxBytes}`, {
    detail: { limit: 'body size' },
  });
}

function detectEncoding(b: Uint8Array): OriginalEncoding {
  if ((b[0] === 0xff && b[1] === 0xfe) || (b[0] === 0x3c && b[1] === 0x00)) return 'utf-16le';
  if ((b[0] === 0xfe && b[1] === 0xff) || (b[0] === 0x00 && b[1] === 0x3c)) return 'utf-16be';
  return 'utf-8';
}

/** Builds the typed record from an already parsed tree (exported for callers that parsed it themselves). */
export function interpretUpdateTree(
  root: XmlElement,
  original: Uint8Array | string,
  originalEncoding: OriginalEncoding,
): UpdateDocument {
  return Object.freeze({ ...recordFields(root, original, originalEncoding, driversOfTree(root)), root });
}

/** The tree path's driver metadata: every `drv:WindowsDriverMetaData` under the first ApplicabilityRules. */
function driversOfTree(root: XmlElement): DriverMetadataCollector {
  const collector = new DriverMetadataCollector();
  const rules = root.children.find(
    (c): c is XmlElement => c.kind === 'element' && c.uri === updateNs && c.local === 'ApplicabilityRules',
  );
  const stack: XmlElement[] = rules ? [rules] : [];
  while (stack.length > 0) {
    const el = stack.pop()!;
    if (el.uri === windowsDriverNs && el.local === 'WindowsDriverMetaData') {
      collector.add((n) => attr(el, n));
      continue;
    }
    for (let i = el.children.length - 1; i >= 0; i--) {
      const c = el.children[i]!;
      if (c.kind === 'element') stack.push(c);
    }
  }
  return collector;
}

/** The record without `root`, read from the top-level parts of `root` (a full tree or the streamed skeleton). */
function recordFields(
  root: XmlElement,
  original: Uint8Array | string,
  originalEncoding: OriginalEncoding,
  drivers: DriverMetadataCollector,
): Omit<UpdateDocument, 'root'> {
  if (root.uri !== updateNs || root.local !== 'Update')
    throw updateDocumentError('not-an-update', `root element is {${root.uri}}${root.local}, not upd:Update`);

  let identityEl: XmlElement | undefined;
  let propertiesEl: XmlElement | undefined;
  let localizedEl: XmlElement | undefined;
  let relationshipsEl: XmlElement | undefined;
  let filesEl: XmlElement | undefined;
  let handlerDataEl: XmlElement | undefined;
  for (const c of root.children) {
    if (c.kind !== 'element' || c.uri !== updateNs) continue;
    switch (c.local) {
      case 'UpdateIdentity':
        identityEl ??= c;
        break;
      case 'Properties':
        propertiesEl ??= c;
        break;
      case 'LocalizedPropertiesCollection':
        localizedEl ??= c;
        break;
      case 'Relationships':
        relationshipsEl ??= c;
        break;
      case 'Files':
        filesEl ??= c;
        break;
      case 'HandlerSpecificData':
        handlerDataEl ??= c;
        break;
    }
  }
  if (!identityEl) throw updateDocumentError('bad-identity', 'no UpdateIdentity');
  const identity = readIdentity(identityEl, true);
  if (!propertiesEl) throw updateDocumentError('missing-properties', 'no Properties');

  const p = attributeMap(propertiesEl);
  const updateTypeRaw = p.UpdateType;
  if (updateTypeRaw === undefined)
    throw updateDocumentError('missing-properties', 'Properties has no UpdateType');
  if (!updateTypes.has(updateTypeRaw))
    throw updateDocumentError('bad-update-type', `unknown UpdateType ${excerpt(updateTypeRaw)}`);
  const updateType = updateTypeRaw as UpdateType;

  const kbArticleIds: string[] = [];
  const securityBulletinIds: string[] = [];
  let supportUrl: string | undefined;
  let installationBehavior: InstallBehavior | undefined;
  let uninstallationBehavior: InstallBehavior | undefined;
  const securedFragments: string[] = [];
  for (const c of propertiesEl.children) {
    if (c.kind !== 'element' || c.uri !== updateNs) continue;
    switch (c.local) {
      case 'KBArticleID':
        kbArticleIds.push(textOf(c).trim());
        break;
      case 'SecurityBulletinID':
        securityBulletinIds.push(textOf(c).trim());
        break;
      case 'SupportUrl':
        supportUrl ??= textOf(c).trim();
        break;
      case 'InstallationBehavior':
        installationBehavior ??= readBehavior(c);
        break;
      case 'UninstallationBehavior':
        uninstallationBehavior ??= readBehavior(c);
        break;
      case 'SecuredFragment':
        securedFragments.push(textOf(c).trim());
        break;
    }
  }

  const handler = p.Handler;
  const relationships = relationshipsEl ? readRelationships(relationshipsEl) : emptyRelationships;

  return {
    identity,
    updateType,
    handler,
    handlerKind: handlerKindOf(handler),
    defaultPropertiesLanguage: p.DefaultPropertiesLanguage,
    publicationState: p.PublicationState,
    creationDate: p.CreationDate,
    publisherId: optionalGuid(p.PublisherID, 'PublisherID'),
    legacyName: p.LegacyName,
    isPublic: readBoolean(p.IsPublic, true, 'IsPublic'),
    explicitlyDeployable: readBoolean(p.ExplicitlyDeployable, false, 'ExplicitlyDeployable'),
    autoSelectOnWebSites: readBoolean(p.AutoSelectOnWebSites, false, 'AutoSelectOnWebSites'),
    perUser: readBoolean(p.PerUser, false, 'PerUser'),
    isBeta: readBoolean(p.IsBeta, false, 'IsBeta'),
    eulaId: p.EulaID === undefined ? undefined : (parseGuid(p.EulaID) ?? p.EulaID),
    msrcSeverity: p.MsrcSeverity,
    detectoidType: p.DetectoidType,
    kbArticleIds: Object.freeze(kbArticleIds),
    securityBulletinIds: Object.freeze(securityBulletinIds),
    supportUrl,
    installationBehavior,
    uninstallationBehavior,
    maxDownloadSize: optionalSize(p.MaxDownloadSize, 'MaxDownloadSize'),
    minDownloadSize: optionalSize(p.MinDownloadSize, 'MinDownloadSize'),
    localizedProperties: localizedEl ? readLocalizedCollection(localizedEl) : Object.freeze([]),
    categoryInformation: handlerDataEl ? readCategoryInformation(handlerDataEl) : undefined,
    prerequisites: relationships.prerequisites,
    bundledUpdates: relationships.bundledUpdates,
    supersededUpdateIds: relationships.supersededUpdateIds,
    categoryIds: relationships.categoryIds,
    handlerSpecificType: handlerDataEl ? attr(handlerDataEl, 'type', xsiNs) : undefined,
    files: filesEl ? readFiles(filesEl) : Object.freeze([]),
    drivers: Object.freeze({
      entries: Object.freeze(drivers.entries),
      count: drivers.count,
      problem: drivers.problem,
    }),
    securedFragments: Object.freeze(securedFragments),
    original,
    originalEncoding,
  };
}

// ---------------------------------------------------------------------------------------------------------
// Small readers. Each validates what it reads and throws updateDocumentError with a stable reason.

function attr(el: XmlElement, local: string, uri = ''): string | undefined {
  for (const a of el.attributes)
    if (a.local === local && a.uri === uri && a.prefix !== 'xmlns') return a.value;
  return undefined;
}

/** Unprefixed attributes by local name, in a null-prototype map (keys come from the input). */
function attributeMap(el: XmlElement): Record<string, string | undefined> {
  const m = Object.create(null) as Record<string, string | undefined>;
  for (const a of el.attributes)
    if (a.uri === '' && a.qname !== 'xmlns' && m[a.local] === undefined) m[a.local] = a.value;
  return m;
}

function textOf(el: XmlElement): string {
  let s = '';
  for (const c of el.children) if (c.kind === 'text') s += c.text;
  return s;
}

function readGuid(value: string | undefined, what: string): UpdateId {
  if (value === undefined) throw updateDocumentError('bad-guid', `${what} is missing`);
  const g = parseGuid(value);
  if (g === undefined) throw updateDocumentError('bad-guid', `${what} is not a GUID: ${excerpt(value)}`);
  return g;
}

function optionalGuid(value: string | undefined, what: string): string | undefined {
  return value === undefined ? undefined : readGuid(value, what);
}

function readRevision(value: string | undefined): number {
  if (value === undefined) throw updateDocumentError('bad-identity', 'RevisionNumber is missing');
  const v = value.trim();
  const n = revisionPattern.test(v) ? Number(v) : NaN;
  if (!(n >= 0 && n <= 0x7fffffff))
    throw updateDocumentError('bad-identity', `RevisionNumber is not a revision: ${excerpt(value)}`);
  return n;
}

function readIdentity(el: XmlElement, withRevision: true): UpdateIdentity;
function readIdentity(el: XmlElement, withRevision: false): UpdateId;
function readIdentity(el: XmlElement, withRevision: boolean): UpdateIdentity | UpdateId {
  const updateId = readGuid(attr(el, 'UpdateID'), 'UpdateID');
  if (!withRevision) return updateId;
  return Object.freeze({ updateId, revisionNumber: readRevision(attr(el, 'RevisionNumber')) });
}

function readBoolean(value: string | undefined, dflt: boolean, what: string): boolean {
  if (value === undefined) return dflt;
  // xs:boolean: true/false/1/0. Microsoft writes lower case; accept any case, refuse anything else.
  switch (value.trim().toLowerCase()) {
    case 'true':
    case '1':
      return true;
    case 'false':
    case '0':
      return false;
  }
  throw updateDocumentError('bad-boolean', `${what} is not a boolean: ${excerpt(value)}`);
}

function readSize(value: string | undefined, what: string): number {
  if (value === undefined) throw updateDocumentError('bad-size', `${what} is missing`);
  const v = value.trim();
  const n = sizePattern.test(v) ? Number(v) : NaN;
  if (!(n >= 0 && n <= Number.MAX_SAFE_INTEGER))
    throw updateDocumentError('bad-size', `${what} is not a size: ${excerpt(value)}`);
  return n;
}

function optionalSize(value: string | undefined, what: string): number | undefined {
  return value === undefined ? undefined : readSize(value, what);
}

function readBehavior(el: XmlElement): InstallBehavior {
  return Object.freeze({
    impact: attr(el, 'Impact') ?? 'Normal',
    rebootBehavior: attr(el, 'RebootBehavior') ?? 'NeverReboots',
    canRequestUserInput: readBoolean(attr(el, 'CanRequestUserInput'), false, 'CanRequestUserInput'),
    requiresNetworkConnectivity: readBoolean(
      attr(el, 'RequiresNetworkConnectivity'),
      false,
      'RequiresNetworkConnectivity',
    ),
  });
}

function handlerKindOf(handler: string | undefined): HandlerKind {
  if (handler === undefined) return 'none';
  const slash = handler.lastIndexOf('/');
  return handlerKinds.get(handler.slice(slash + 1)) ?? 'unknown';
}

function readLocalizedCollection(el: XmlElement): readonly LocalizedProperties[] {
  const out: LocalizedProperties[] = [];
  const seen = new Set<string>();
  for (const c of el.children) {
    if (c.kind !== 'element' || c.uri !== updateNs || c.local !== 'LocalizedProperties') continue;
    const lp = readLocalized(c);
    const key = lp.language.toLowerCase();
    // The first entry for a language wins, as in fragment derivation.
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(lp);
  }
  return Object.freeze(out);
}

function readLocalized(el: XmlElement): LocalizedProperties {
  let language: string | undefined;
  let title: string | undefined;
  let description: string | undefined;
  let uninstallNotes: string | undefined;
  let moreInfoUrl: string | undefined;
  let supportUrl: string | undefined;
  for (const c of el.children) {
    if (c.kind !== 'element' || c.uri !== updateNs) continue;
    switch (c.local) {
      case 'Language':
        language ??= textOf(c).trim();
        break;
      case 'Title':
        title ??= textOf(c);
        break;
      case 'Description':
        description ??= textOf(c);
        break;
      case 'UninstallNotes':
        uninstallNotes ??= textOf(c);
        break;
      case 'MoreInfoUrl':
        moreInfoUrl ??= textOf(c).trim();
        break;
      case 'SupportUrl':
        supportUrl ??= textOf(c).trim();
        break;
    }
  }
  if (!language)
    throw updateDocumentError('bad-localized-properties', 'LocalizedProperties without a Language');
  return Object.freeze({
    language,
    title: title ?? '',
    description,
    uninstallNotes,
    moreInfoUrl,
    supportUrl,
  });
}

function readCategoryInformation(handlerData: XmlElement): CategoryInformation | undefined {
  let info: XmlElement | undefined;
  for (const c of handlerData.children)
    if (c.kind === 'element' && c.uri === categoryHandlerNs && c.local === 'CategoryInformation') {
      info = c;
      break;
    }
  if (!info) return undefined;
  const t = attr(info, 'CategoryType');
  const order = attr(info, 'DisplayOrder');
  let displayOrder: number | undefined;
  if (order !== undefined) {
    const n = /^-?\d{1,10}$/.test(order.trim()) ? Number(order.trim()) : NaN;
    // A bad display order is cosmetic: ignore it rather than quarantine a category.
    displayOrder = Number.isSafeInteger(n) ? n : undefined;
  }
  return Object.freeze({
    categoryType: t !== undefined && categoryTypes.has(t) ? (t as CategoryType) : undefined,
    prohibitsSubcategories: readBoolean(
      attr(info, 'ProhibitsSubcategories'),
      false,
      'ProhibitsSubcategories',
    ),
    prohibitsUpdates: readBoolean(attr(info, 'ProhibitsUpdates'), false, 'ProhibitsUpdates'),
    displayOrder,
    excludedByDefault: readBoolean(attr(info, 'ExcludedByDefault'), false, 'ExcludedByDefault'),
  });
}

interface Relationships {
  readonly prerequisites: readonly PrerequisiteClause[];
  readonly bundledUpdates: readonly BundleGroup[];
  readonly supersededUpdateIds: readonly UpdateId[];
  readonly categoryIds: readonly UpdateId[];
}

const emptyRelationships: Relationships = Object.freeze({
  prerequisites: Object.freeze([]),
  bundledUpdates: Object.freeze([]),
  supersededUpdateIds: Object.freeze([]),
  categoryIds: Object.freeze([]),
});

function isUpd(el: XmlElement, local: string): boolean {
  return el.uri === updateNs && el.local === local;
}

function readRelationships(el: XmlElement): Relationships {
  const prerequisites: PrerequisiteClause[] = [];
  const bundledUpdates: BundleGroup[] = [];
  const supersededUpdateIds: UpdateId[] = [];
  const categoryIds: UpdateId[] = [];
  for (const section of el.children) {
    if (section.kind !== 'element' || section.uri !== updateNs) continue;
    if (section.local === 'Prerequisites') {
      for (const c of section.children) {
        if (c.kind !== 'element') continue;
        if (isUpd(c, 'UpdateIdentity')) {
          prerequisites.push(
            Object.freeze({ isCategory: false, anyOf: Object.freeze([readIdentity(c, false)]) }),
          );
        } else if (isUpd(c, 'AtLeastOne')) {
          const isCategory = readBoolean(attr(c, 'IsCategory'), false, 'IsCategory');
          const anyOf: UpdateId[] = [];
          for (const id of c.children)
            if (id.kind === 'element' && isUpd(id, 'UpdateIdentity')) anyOf.push(readIdentity(id, false));
          prerequisites.push(Object.freeze({ isCategory, anyOf: Object.freeze(anyOf) }));
          if (isCategory) for (const id of anyOf) if (!categoryIds.includes(id)) categoryIds.push(id);
        }
      }
    } else if (section.local === 'BundledUpdates') {
      for (const c of section.children) {
        if (c.kind !== 'element') continue;
        if (isUpd(c, 'UpdateIdentity')) {
          bundledUpdates.push(Object.freeze({ anyOf: Object.freeze([readIdentity(c, true)]) }));
        } else if (isUpd(c, 'AtLeastOne')) {
          const anyOf: UpdateIdentity[] = [];
          for (const id of c.children)
            if (id.kind === 'element' && isUpd(id, 'UpdateIdentity')) anyOf.push(readIdentity(id, true));
          bundledUpdates.push(Object.freeze({ anyOf: Object.freeze(anyOf) }));
        }
      }
    } else if (section.local === 'SupersededUpdates') {
      for (const c of section.children)
        if (c.kind === 'element' && isUpd(c, 'UpdateIdentity'))
          supersededUpdateIds.push(readIdentity(c, false));
    }
  }
  return {
    prerequisites: Object.freeze(prerequisites),
    bundledUpdates: Object.freeze(bundledUpdates),
    supersededUpdateIds: Object.freeze(supersededUpdateIds),
    categoryIds: Object.freeze(categoryIds),
  };
}

function decodeDigest(value: string, bytes: number, what: string): Buffer {
  const v = value.trim();
  if (v.length !== Math.ceil(bytes / 3) * 4 || !base64Pattern.test(v))
    throw updateDocumentError('bad-digest', `${what} is not ${bytes} bytes of base64: ${excerpt(value)}`);
  const b = Buffer.from(v, 'base64');
  if (b.length !== bytes) throw updateDocumentError('bad-digest', `${what} decodes to ${b.length} bytes`);
  return b;
}

const digestBytes: ReadonlyMap<string, number> = new Map([
  ['SHA1', 20],
  ['SHA256', 32],
]);

function readFiles(el: XmlElement): readonly UpdateFile[] {
  const out: UpdateFile[] = [];
  for (const f of el.children) {
    if (f.kind !== 'element' || !isUpd(f, 'File')) continue;
    const fileName = attr(f, 'FileName');
    if (!fileName) throw updateDocumentError('bad-file', 'File without a FileName');
    const size = readSize(attr(f, 'Size'), 'File Size');
    const digestAlgorithm = attr(f, 'DigestAlgorithm') ?? 'SHA1';
    // The SHA-1 is the file's identity in content URLs and the content store: a file without one is unusable.
    if (digestAlgorithm.toUpperCase() !== 'SHA1')
      throw updateDocumentError('bad-digest', `File DigestAlgorithm ${excerpt(digestAlgorithm)} is not SHA1`);
    const digest = attr(f, 'Digest');
    if (digest === undefined)
      throw updateDocumentError('bad-digest', `File ${excerpt(fileName)} has no Digest`);
    const sha1 = decodeDigest(digest, 20, 'File Digest');
    const additionalDigests: AdditionalDigest[] = [];
    let sha256: Buffer | undefined;
    let sha256Base64: string | undefined;
    for (const c of f.children) {
      if (c.kind !== 'element' || !isUpd(c, 'AdditionalDigest')) continue;
      const algorithm = attr(c, 'Algorithm') ?? '';
      const base64 = textOf(c).trim();
      const expected = digestBytes.get(algorithm.toUpperCase());
      // Known algorithms are checked; unknown ones are kept as written for whoever learns them later.
      if (expected !== undefined) {
        const bytes = decodeDigest(base64, expected, `AdditionalDigest ${algorithm}`);
        if (expected === 32 && sha256 === undefined) {
          sha256 = bytes;
          sha256Base64 = base64;
        }
      }
      additionalDigests.push(Object.freeze({ algorithm, base64 }));
    }
    out.push(
      Object.freeze({
        fileName,
        size,
        digestAlgorithm,
        sha1,
        sha1Base64: digest.trim(),
        sha256,
        sha256Base64,
        additionalDigests: Object.freeze(additionalDigests),
        modified: attr(f, 'Modified'),
        patchingType: attr(f, 'PatchingType'),
        isEncrypted: readBoolean(attr(f, 'IsEncrypted'), false, 'File IsEncrypted'),
      }),
    );
  }
  return Object.freeze(out);
}
