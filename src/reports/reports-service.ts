import type { ContentMode } from '../domain/index.js';
import { complianceByGroupReport } from './compliance-by-group-report.js';
import { complianceBySeverityReport } from './compliance-by-severity-report.js';
import { computerStatusReport, type GroupFilter } from './computer-status-report.js';
import type { ReportStores } from './report-ports.js';
import type { ReportTable } from './report-table.js';
import { updateStatusReport, type UpdateReportFilter } from './update-status-report.js';
import { syncResultsReport } from './sync-results-report.js';

/** The admin reports (docs/public-views.md), as the CLI (`patchbay reports`) and the REST API serve them. */
export interface ReportsService {
  updateStatus(filter?: UpdateReportFilter): Promise<ReportTable>;
  computerStatus(filter?: GroupFilter): Promise<ReportTable>;
  complianceBySeverity(filter?: { readonly group?: string }): Promise<ReportTable>;
  complianceByGroup(): Promise<ReportTable>;
  syncResults(filter?: { readonly limit?: number }): Promise<ReportTable>;
}

/** `stores`: the storage repositories (`createRepositories(handle)`), or anything else that implements the port. */
export function createReportsService(
  stores: ReportStores,
  options: { now?: () => number; contentMode?: ContentMode; express?: boolean } = {},
): ReportsService {
  const clock = { now: options.now ?? Date.now };
  return {
    updateStatus: (filter = {}) =>
      updateStatusReport(stores, filter, {
        ...clock,
        contentMode: options.contentMode,
        express: options.express,
      }),
    computerStatus: (filter = {}) => computerStatusReport(stores, filter, clock),
    complianceBySeverity: (filter = {}) => complianceBySeverityReport(stores, filter, clock),
    complianceByGroup: () => complianceByGroupReport(stores, clock),
    syncResults: (filter = {}) => syncResultsReport(stores, filter, clock),
  };
}
