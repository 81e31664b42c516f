// The production modules these tests use, in one place.
export {
  FsContentStore,
  migrateToLatest,
  openDatabase,
  createRepositories,
  type ContentState,
  type DbHandle,
} from '../../../src/storage/index.js';
export { UpstreamTransport } from '../../../src/sync/index.js';
export {
  downloadContent,
  planContent,
  verifyContent,
  contentStatus,
  contentSourceUrl,
  contentSourceFor,
  contentUrlGuard,
} from '../../../src/content-sync/index.js';
