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
export { buildCatalogIndex } from './build-catalog-index.js';
