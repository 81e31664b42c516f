// Air-gap bundles: `patchbay export` and `patchbay import` (docs/operations.md "Air-gapped networks").
export { exportBundle, type ExportInput, type ExportSummary } from './export-bundle.js';
export { importBundle, type ImportInput, type ImportSummary } from './import-bundle.js';
export { readBundleManifest } from './read-bundle.js';
export { contentModes, defaultChunkBytes, type BundleManifest } from './bundle-manifest.js';
