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
