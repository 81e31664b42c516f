export type {
  UpdateDocument,
  UpdateType,
  HandlerKind,
  CategoryType,
  InstallBehavior,
  LocalizedProperties,
  CategoryInformation,
  PrerequisiteClause,
  BundleGroup,
  UpdateFile,
  AdditionalDigest,
  OriginalEncoding,
  DriverMetadataSummary,
} from './update-document.js';
export {
  type DriverMetadata,
  maxDriverMetadataPerDocument,
  packDriverVersion,
  driverDate,
} from './driver-metadata.js';
export { type UpdateDocumentReason, updateDocumentError } from './update-document-error.js';
export {
  type ParseUpdateDocumentOptions,
  parseUpdateDocument,
  interpretUpdateTree,
} from './parse-update-document.js';
export {
  type DerivedFragments,
  deriveCoreFragment,
  deriveExtendedFragment,
  deriveLocalizedPropertiesFragment,
  deriveFragments,
  availableLanguages,
  chooseLanguage,
} from './derive-fragments.js';
export {
  type CategoryTypeLookup,
  type ClassifiedCategories,
  classifyCategories,
  categoryLookupFrom,
} from './classify-categories.js';
export * as updateNamespaces from './namespaces.js';
