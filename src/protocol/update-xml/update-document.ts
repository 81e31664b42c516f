import type { UpdateId, UpdateIdentity } from '../../domain/index.js';
import type { XmlElement } from '../xml/index.js';
import type { DriverMetadata } from './driver-metadata.js';

/** `Properties/@UpdateType`; anything else is refused (`bad-update-type`). */
export type UpdateType = 'Software' | 'Driver' | 'Category' | 'Detectoid';

/**
 * The installer family named by `Properties/@Handler` (docs/protocol/update-xml.md §3.5), told apart by the URI's last path
 * segment. `none` = no Handler attribute (bundles, detectoids); `unknown` = a handler this code does not know.
 */
export type HandlerKind =
  | 'category'
  | 'command-line-installation'
  | 'cbs'
  | 'windows-installer'
  | 'windows-patch'
  | 'windows-setup'
  | 'windows-driver'
  | 'os-installer'
  | 'none'
  | 'unknown';

/** `cat:CategoryInformation/@CategoryType`; undefined for the generic categories that carry none. */
export type CategoryType = 'Company' | 'ProductFamily' | 'Product' | 'UpdateClassification';

/** `InstallationBehavior` / `UninstallationBehavior`, with the schema defaults applied for absent attributes. */
export interface InstallBehavior {
  /** `Impact`: Normal (default), Minor, RequiresExclusiveHandling. */
  readonly impact: string;
  /** `RebootBehavior`: NeverReboots (default), AlwaysRequiresReboot, CanRequestReboot. */
  readonly rebootBehavior: string;
  readonly canRequestUserInput: boolean;
  readonly requiresNetworkConnectivity: boolean;
}

export interface LocalizedProperties {
  /** As written (`en`, `pt-br`, `zh-tw`); compare case-insensitively. */
  readonly language: string;
  readonly title: string;
  readonly description: string | undefined;
  readonly uninstallNotes: string | undefined;
  readonly moreInfoUrl: string | undefined;
  readonly supportUrl: string | undefined;
}

export interface CategoryInformation {
  readonly categoryType: CategoryType | undefined;
  readonly prohibitsSubcategories: boolean;
  readonly prohibitsUpdates: boolean;
  readonly displayOrder: number | undefined;
  readonly excludedByDefault: boolean;
}

/**
 * One prerequisite clause (docs/protocol/update-xml.md §3.3): satisfied when ANY of `anyOf` is installed; all clauses are ANDed.
 * A bare `UpdateIdentity` is a clause of one. Prerequisites name update ids only ("its current revision").
 */
export interface PrerequisiteClause {
  readonly isCategory: boolean;
  readonly anyOf: readonly UpdateId[];
}

/** One bundled group: the update contains one of `anyOf` (keyed by revision). A bare identity is a group of one. */
export interface BundleGroup {
  readonly anyOf: readonly UpdateIdentity[];
}

export interface AdditionalDigest {
  readonly algorithm: string;
  readonly base64: string;
}

export interface UpdateFile {
  readonly fileName: string;
  readonly size: number;
  /** `DigestAlgorithm` as written (always SHA1 in real catalogs; the SHA-1 is the file's content identity). */
  readonly digestAlgorithm: string;
  readonly sha1: Buffer;
  readonly sha1Base64: string;
  /** From `AdditionalDigest Algorithm="SHA256"`, when present. */
  readonly sha256: Buffer | undefined;
  readonly sha256Base64: string | undefined;
  readonly additionalDigests: readonly AdditionalDigest[];
  readonly modified: string | undefined;
  /** `PatchingType` (SelfContained, Express, ...), when present. */
  readonly patchingType: string | undefined;
  /**
   * `@IsEncrypted` (docs/protocol/upstream.md §U4, SPEC MS-WSUSSS 3.1.1.1; no real document carries it): the file
   * as published is encrypted and needs a key from GetUpdateDecryptionData before a client can install it.
   */
  readonly isEncrypted: boolean;
}

/** How the original document was given to `parseUpdateDocument`. */
export type OriginalEncoding = 'utf-8' | 'utf-16le' | 'utf-16be' | 'string';

/**
 * A parsed full update document (docs/protocol/update-xml.md §3). Frozen. `original` is exactly what the caller gave
 * (never re-serialized); `root` is the parsed tree the fragment derivations read.
 */
export interface UpdateDocument {
  readonly identity: UpdateIdentity;
  readonly updateType: UpdateType;
  readonly handler: string | undefined;
  readonly handlerKind: HandlerKind;
  readonly defaultPropertiesLanguage: string | undefined;
  readonly publicationState: string | undefined;
  readonly creationDate: string | undefined;
  readonly publisherId: string | undefined;
  readonly legacyName: string | undefined;
  /** Default true. */
  readonly isPublic: boolean;
  /** Default false (bundle members are not explicitly deployable; their parent says `true`). */
  readonly explicitlyDeployable: boolean;
  readonly autoSelectOnWebSites: boolean;
  readonly perUser: boolean;
  readonly isBeta: boolean;
  readonly eulaId: string | undefined;
  readonly msrcSeverity: string | undefined;
  readonly detectoidType: string | undefined;
  readonly kbArticleIds: readonly string[];
  readonly securityBulletinIds: readonly string[];
  readonly supportUrl: string | undefined;
  readonly installationBehavior: InstallBehavior | undefined;
  readonly uninstallationBehavior: InstallBehavior | undefined;
  readonly maxDownloadSize: number | undefined;
  readonly minDownloadSize: number | undefined;
  readonly localizedProperties: readonly LocalizedProperties[];
  readonly categoryInformation: CategoryInformation | undefined;
  readonly prerequisites: readonly PrerequisiteClause[];
  readonly bundledUpdates: readonly BundleGroup[];
  readonly supersededUpdateIds: readonly UpdateId[];
  /**
   * Ids named in `AtLeastOne IsCategory="true"` clauses, in document order, without duplicates. Telling a
   * product from a classification needs the category documents: see `classifyCategories`.
   */
  readonly categoryIds: readonly UpdateId[];
  /** The `xsi:type` of HandlerSpecificData as written (`cmd:CommandLineInstallation`, `cat:Category`). */
  readonly handlerSpecificType: string | undefined;
  readonly files: readonly UpdateFile[];
  /** `drv:WindowsDriverMetaData` under ApplicabilityRules (driver updates), bounded (see driver-metadata.ts). */
  readonly drivers: DriverMetadataSummary;
  /**
   * `Properties/SecuredFragment` texts as written (SPEC: `FileDecryption` = the update has decryption data,
   * `FileURL` = secure file URLs; compare case-insensitively).
   */
  readonly securedFragments: readonly string[];
  readonly original: Uint8Array | string;
  readonly originalEncoding: OriginalEncoding;
  readonly root: XmlElement;
}

export interface DriverMetadataSummary {
  /** At most `maxDriverMetadataPerDocument`, in document order. */
  readonly entries: readonly DriverMetadata[];
  /** How many elements the document has (may exceed `entries.length`). */
  readonly count: number;
  /** The first malformed element, if any. */
  readonly problem: string | undefined;
}
