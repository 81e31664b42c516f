export type {
  ContentHandle,
  ContentStat,
  ContentStore,
  IngestExpected,
  IngestOptions,
  IngestResult,
  VerifyAction,
  VerifyAllReport,
  VerifyOutcome,
} from './content-store.js';
export { fanOutFolder, parseSha1Hex, toSha1Hex, type ContentKey, type Sha1Hex } from './content-key.js';
export { DualDigest } from './content-digest.js';
export { FsContentStore, type FsContentStoreOptions } from './fs-content-store.js';
export { contentChunkBytes } from './range-reads.js';
export {
  openContentStore,
  type ContentStoreConfig,
  type OpenContentStoreOptions,
} from './open-content-store.js';
