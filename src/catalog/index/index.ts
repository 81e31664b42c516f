export type {
  CatalogRevisionInput,
  CatalogPrerequisiteInput,
  CatalogBundleGroupInput,
} from './catalog-revision-input.js';
export {
  CatalogIndex,
  revFlag,
  updFlag,
  type CatalogIndexStats,
  type RevisionFacts,
  type UndeliverableReason,
  type UndeliverableRevision,
} from './catalog-index.js';
export { buildCatalogIndex, buildCatalogIndexFromColumns } from './build-catalog-index.js';
export { CatalogInputBuilder, type CatalogInputColumns } from './catalog-input-builder.js';
