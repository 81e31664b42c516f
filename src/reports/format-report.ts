import { AppError } from '../errors.js';
import type { ReportColumn, ReportTable, ReportValue } from './report-table.js';

export type ReportFormat = 'table' | 'csv' | 'json';
export const reportFormats: readonly ReportFormat[] = ['table', 'csv', 'json'];

export function parseReportFormat(value: string): ReportFormat {
  if ((reportFormats as readonly string[]).includes(value)) return value as ReportFormat;
  throw new AppError('PB_ERR_USAGE', `unknown report format ${JSON.stringify(value)} (table, csv or json)`);
}

export function formatReport(report: ReportTable, format: ReportFormat): string {
  switch (format) {
    case 'table':
      return formatReportTable(report);
    case 'csv':
      return formatReportCsv(report);
    case 'json':
      return formatReportJson(report);
  }
}

const isoTime = (ms: number) => new Date(ms).toISOString();

/** Control characters (C0, DEL, C1) would let a stored value drive the operator's terminal. */
// eslint-disable-next-line no-control-regex
const controlChars = /[\u0000-\u001f\u007f-\u009f]/g;

function tableCell(c: ReportColumn, v: ReportValue): string {
  if (v === null) return '-';
  if (c.kind === 'time' && typeof v === 'number') return isoTime(v).replace('T', ' ').slice(0, 19);
  if (c.kind === 'percent' && typeof v === 'number') return `${v.toFixed(1)}%`;
  return String(v).replace(controlChars, '\u00b7');
}

/** Aligned text: numbers right-aligned, a dashed rule under the header, a note when truncated. */
export function formatReportTable(report: ReportTable): string {
  const cells = report.rows.map((r) => report.columns.map((c) => tableCell(c, r[c.key] ?? null)));
  const width = report.columns.map((c, i) =>
    Math.max([...c.title].length, ...cells.map((row) => [...row[i]!].length)),
  );
  const right = (c: ReportColumn) => c.kind !== 'text' && c.kind !== 'time';
  const line = (values: readonly string[]) =>
    values
      .map((v, i) => {
        const pad = ' '.repeat(width[i]! - [...v].length);
        return right(report.columns[i]!) ? pad + v : v + pad;
      })
      .join('  ')
      .trimEnd();
  const out = [
    line(report.columns.map((c) => c.title)),
    line(width.map((w) => '-'.repeat(w))),
    ...cells.map(line),
  ];
  if (report.rows.length === 0) out.push('(no rows)');
  if (report.truncated) out.push(`(truncated at ${report.rows.length} rows)`);
  return `${out.join('\n')}\n`;
}

/**
 * RFC 4180: CRLF records, a header, fields quoted when they hold `"`, `,`, CR or LF. Text cells starting with
 * `=`, `+`, `-`, `@` (or tab / CR, which spreadsheets also strip) get a leading `'` so a spreadsheet never runs
 * an update title as a formula (CSV injection). Numbers are written as numbers; times as ISO 8601 UTC.
 */
export function formatReportCsv(report: ReportTable): string {
  const field = (c: ReportColumn | undefined, v: ReportValue): string => {
    let s: string;
    if (v === null) s = '';
    else if (typeof v === 'number') s = c?.kind === 'time' ? isoTime(v) : String(v);
    else s = /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
    return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  const lines = [
    report.columns.map((c) => field(undefined, c.key)).join(','),
    ...report.rows.map((r) => report.columns.map((c) => field(c, r[c.key] ?? null)).join(',')),
  ];
  return `${lines.join('\r\n')}\r\n`;
}

/** JSON: the report's name, time, truncation flag and rows keyed by column key; times as ISO 8601 UTC. */
export function formatReportJson(report: ReportTable): string {
  const rows = report.rows.map((r) => {
    const o: Record<string, ReportValue> = {};
    for (const c of report.columns) {
      const v = r[c.key] ?? null;
      o[c.key] = c.kind === 'time' && typeof v === 'number' ? isoTime(v) : v;
    }
    return o;
  });
  return `${JSON.stringify(
    {
      report: report.name,
      title: report.title,
      generatedAt: isoTime(report.generatedAt),
      truncated: report.truncated,
      columns: report.columns.map((c) => c.key),
      rows,
    },
    null,
    2,
  )}\n`;
}
