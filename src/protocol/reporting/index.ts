export {
  reportingNs,
  decodeReportEventBatchRequest,
  encodeReportEventBatchResponse,
  miscDataValue,
  type ReportEventBatchRequest,
  type ReportedEvent,
  type ReportedOsVersion,
} from './report-event-batch.js';
export { clientStatusEventId, parseStatusLists, type ClientStatusLists } from './status-lists.js';
export * from './rollup-limits.js';
export * from './rollup-requests.js';
export * from './rollup-responses.js';
