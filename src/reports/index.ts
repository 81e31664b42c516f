// Reports (update status, computer status, compliance, sync results) over the WSUS-compatible views, and
// their table / CSV / JSON formatters. The CLI and the REST API call these; storage implements report-ports.
export * from './report-table.js';
export * from './format-report.js';
export type * from './report-ports.js';
export type { UpdateReportFilter, ReportContentMode } from './update-status-report.js';
export type { GroupFilter } from './computer-status-report.js';
export { createReportsService, type ReportsService } from './reports-service.js';
