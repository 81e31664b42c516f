// Content download: which update files to fetch (content.mode), the resumable parallel downloader, and the
// store/database reconciliation behind `patchbay content verify|status`.
export { contentScope, planContent, type ContentPlanResult } from './content-plan.js';
export {
  contentSourceFor,
  contentSourceUrl,
  contentUrlGuard,
  type ContentSourceKind,
  type SourceFile,
} from './content-source.js';
export {
  downloadContent,
  contentLeaseName,
  type ContentDownloadDeps,
  type ContentDownloadOptions,
  type ContentDownloadResult,
  type ContentFailure,
  type ContentProgress,
  type ContentTransport,
} from './content-downloader.js';
export {
  ContentAutoDownload,
  announceContentChange,
  downloadAndAnnounce,
  type ContentAutoDownloadOptions,
} from './content-autodownload.js';
export {
  verifyContent,
  compareStoreAndDatabase,
  reconcileContent,
  contentStatus,
  type ContentReconcileReport,
  type ContentVerifyReport,
  type ContentStatus,
} from './content-verify.js';
