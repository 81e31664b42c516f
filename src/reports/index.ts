// Reports (update status, computer status, compliance, sync results) over the WSUS-compatible views, and
// their table / CSV / JSON formatters. The CLI and the REST API call these.
export * from './report-table.js';
export * from './format-report.js';
export * from './reports-service.js';
