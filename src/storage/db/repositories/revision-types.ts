import type { BlobInput, StoredBlob } from '../blob-codec.js';

/** (update id, revision number); update ids are lower-case GUIDs (the repository lower-cases them). */
export interface RevisionIdentity {
  readonly updateId: string;
  readonly revisionNumber: number;
}

export interface PrerequisiteClause {
  /** The clause came from an `AtLeastOne IsCategory="true"`. */
  readonly isCategory: boolean;
  /** OR alternatives (a bare UpdateIdentity is a clause of one). */
  readonly updateIds: readonly string[];
}

export interface RevisionFileInput {
  /** 20 bytes. */
  readonly sha1: Buffer;
  /** 32 bytes when the document carries an AdditionalDigest SHA256. */
  readonly sha256?: Buffer | null;
  readonly size: number;
  readonly name: string;
  readonly muUrl?: string | null;
  readonly patchingType?: string | null;
}

/** `InstallationBehavior` / `UninstallationBehavior` of a document (schema defaults applied). */
export interface InstallBehaviorInput {
  readonly canRequestUserInput: boolean;
  readonly requiresNetworkConnectivity: boolean;
  /** Normal, Minor, RequiresExclusiveHandling. */
  readonly impact: string;
  /** NeverReboots, AlwaysRequiresReboot, CanRequestReboot. */
  readonly rebootBehavior: string;
}

export interface CategoryInfoInput {
  readonly categoryType: string | null;
  readonly displayOrder?: number | null;
  readonly prohibitsSubcategories?: boolean;
  readonly prohibitsUpdates?: boolean;
  readonly excludedByDefault?: boolean;
}

/** One revision as the importer hands it over: plain storage terms, derived at import time. */
export interface RevisionInput extends RevisionIdentity {
  /** Software | Driver | Category | Detectoid. */
  readonly updateType: string;
  readonly isExplicitlyDeployable?: boolean;
  readonly publicationState?: string | null;
  readonly handler?: string | null;
  readonly title?: string | null;
  readonly kbArticleId?: string | null;
  readonly msrcSeverity?: string | null;
  readonly creationDateAt?: number | null;
  readonly maxDownloadSize?: number | null;
  /** `SecurityBulletinID`s in document order (stored comma-separated). */
  readonly securityBulletinIds?: readonly string[];
  /** Absent/null: the document has no such element. */
  readonly installationBehavior?: InstallBehaviorInput | null;
  readonly uninstallationBehavior?: InstallBehaviorInput | null;
  /** The English (else first) `UninstallNotes`. */
  readonly uninstallNotes?: string | null;
  /** The original document (UTF-8 XML), ideally already compressed with encodeBlob. */
  readonly document: BlobInput;
  readonly coreFragment: BlobInput;
  readonly extendedFragment: BlobInput;
  readonly localized?: readonly {
    readonly language: string;
    readonly title?: string | null;
    readonly description?: string | null;
    readonly fragment: BlobInput;
  }[];
  readonly prerequisites?: readonly PrerequisiteClause[];
  /** Groups of alternatives ("one of these children"). */
  readonly bundledUpdates?: readonly (readonly RevisionIdentity[])[];
  readonly supersededUpdateIds?: readonly string[];
  /** kind: product | classification | company | product_family | other. */
  readonly categories?: readonly { readonly updateId: string; readonly kind: string }[];
  readonly files?: readonly RevisionFileInput[];
  /** `WindowsDriverMetaData` of a driver update (migration 0022), already bounded by the parser. */
  readonly drivers?: readonly DriverRowInput[];
  /** Present for UpdateType=Category. */
  readonly category?: CategoryInfoInput;
}

export interface RevisionRecord extends RevisionIdentity {
  readonly revisionId: number;
  readonly updateType: string;
  readonly isCategory: boolean;
  readonly isBundle: boolean;
  readonly isExplicitlyDeployable: boolean;
  readonly publicationState: string | null;
  readonly handler: string | null;
  readonly title: string | null;
  readonly kbArticleId: string | null;
  readonly msrcSeverity: string | null;
  readonly creationDateAt: number | null;
  readonly maxDownloadSize: number | null;
  readonly importedAt: number;
  readonly updatedAt: number;
  /** Empty when the document names none. */
  readonly securityBulletinIds: readonly string[];
  readonly installationBehavior: InstallBehaviorInput | null;
  readonly uninstallationBehavior: InstallBehaviorInput | null;
  readonly uninstallNotes: string | null;
}

export interface RevisionRelationships {
  readonly prerequisites: PrerequisiteClause[];
  readonly bundledUpdates: RevisionIdentity[][];
  readonly supersededUpdateIds: string[];
  readonly categories: { updateId: string; kind: string }[];
}

export interface LocalizedRecord {
  readonly revisionId: number;
  readonly language: string;
  readonly title: string | null;
  readonly description: string | null;
  readonly fragment: StoredBlob;
}

export type FragmentKind = 'core' | 'extended';

/** One driver metadata row: see RevisionDriversTable for the normalized forms. */
export interface DriverRowInput {
  readonly hardwareId: string;
  readonly verDate: string;
  readonly verVersion: string;
  readonly class?: string | undefined;
  readonly manufacturer?: string | undefined;
  readonly provider?: string | undefined;
  readonly model?: string | undefined;
}
