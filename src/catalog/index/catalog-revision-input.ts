import type { RevisionKind } from '../../domain/index.js';

/** One prerequisite clause: satisfied when ANY alternative's current revision is installed (docs/protocol/update-xml.md §3.3). */
export interface CatalogPrerequisiteInput {
  readonly isCategory: boolean;
  /** Update ids (GUIDs, any case). */
  readonly anyOf: readonly string[];
}

/** One BundledUpdates group: the bundle contains one of these revisions. */
export interface CatalogBundleGroupInput {
  readonly anyOf: readonly { readonly updateId: string; readonly revisionNumber: number }[];
}

/**
 * One revision of a catalog generation, in plain terms (what storage or the update-document parser hands over).
 * `revisionId` is the stable server-local int32 id clients cache.
 */
export interface CatalogRevisionInput {
  readonly revisionId: number;
  readonly updateId: string;
  readonly revisionNumber: number;
  readonly kind: RevisionKind;
  readonly prerequisites: readonly CatalogPrerequisiteInput[];
  readonly bundledUpdates?: readonly CatalogBundleGroupInput[] | undefined;
  /** `PublicationState="Expired"`: kept for OutOfScope answers, never offered. */
  readonly expired: boolean;
  /**
   * Milliseconds since the epoch: the `LastChangeTime` clients see for deployments no approval governs
   * (WS2025 wrote the revision's import date). Stored at one-second resolution.
   */
  readonly lastChangeAt: number;
}
