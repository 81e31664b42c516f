/**
 * The connector document: update records, then computer records, then status records, as JSON Lines
 * (one object per line, `type` first), CSV (one table with a `record_type` column; see wire-contract.ts
 * csvColumns) or a JSON array (a file output for tools that want one JSON document). Text is UTF-8; every
 * text field is capped so one record stays far below the smallest upload part (parts end on line
 * boundaries). CSV cells are formula-injection-safe: a text cell starting with = + - @ tab or CR gets a
 * leading apostrophe, so spreadsheet tools show it as text instead of evaluating it.
 */
import { csvColumns, installationStates } from './wire-contract.js';
import type { ComputerRow, StatusRow, UpdateRow } from './view-reader.js';

export type ConnectorRecord =
  ({ type: 'update' } & UpdateRow) | ({ type: 'computer' } & ComputerRow) | ({ type: 'status' } & StatusRow);

export type DocumentFormat = 'jsonl' | 'csv' | 'json';

/** Longest text field written (characters); longer values are cut, never the record. */
export const maxFieldChars = 1024;

const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Lone surrogates cannot be encoded as UTF-8; they become U+FFFD instead of being dropped silently. */
function cleanText(s: string | null): string | null {
  if (s === null) return null;
  const cut = s.length > maxFieldChars ? s.slice(0, maxFieldChars) : s;
  return cut.replace(loneSurrogate, '\uFFFD');
}

export function stateName(state: number): string {
  return installationStates[state] ?? 'Unknown';
}

/** The JSON object of a record (field order fixed: `type` first). */
export function recordObject(r: ConnectorRecord): Record<string, unknown> {
  switch (r.type) {
    case 'update':
      return {
        type: 'update',
        updateId: r.updateId,
        title: cleanText(r.title),
        kbArticle: cleanText(r.kbArticle),
        securityBulletin: cleanText(r.securityBulletin),
        msrcSeverity: cleanText(r.msrcSeverity),
        creationDate: r.creationDate,
        approvalAction: cleanText(r.approvalAction),
      };
    case 'computer':
      return {
        type: 'computer',
        computerId: r.computerId,
        name: cleanText(r.name),
        lastReportedStatusTime: r.lastReportedStatusTime,
      };
    case 'status':
      return {
        type: 'status',
        computerId: r.computerId,
        updateId: r.updateId,
        state: stateName(r.state),
        stateCode: r.state,
      };
  }
}

const formulaStart = /^[=+\-@\t\r]/;

/** One CSV cell: formula-safe, quoted when needed (RFC 4180). */
export function csvCell(value: string | number | null): string {
  if (value === null) return '';
  if (typeof value === 'number') return String(value);
  let s = cleanText(value) ?? '';
  if (formulaStart.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) || s !== s.trim() ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csvRow(r: ConnectorRecord): string {
  const cells: Record<(typeof csvColumns)[number], string | number | null> = {
    record_type: r.type,
    update_id: null,
    title: null,
    kb_article: null,
    security_bulletin: null,
    msrc_severity: null,
    creation_date: null,
    approval_action: null,
    computer_id: null,
    computer_name: null,
    last_reported_status_time: null,
    state: null,
  };
  if (r.type === 'update') {
    Object.assign(cells, {
      update_id: r.updateId,
      title: r.title,
      kb_article: r.kbArticle,
      security_bulletin: r.securityBulletin,
      msrc_severity: r.msrcSeverity,
      creation_date: r.creationDate,
      approval_action: r.approvalAction,
    });
  } else if (r.type === 'computer') {
    Object.assign(cells, {
      computer_id: r.computerId,
      computer_name: r.name,
      last_reported_status_time: r.lastReportedStatusTime,
    });
  } else {
    Object.assign(cells, { computer_id: r.computerId, update_id: r.updateId, state: stateName(r.state) });
  }
  return `${csvColumns.map((c) => csvCell(cells[c])).join(',')}\r\n`;
}

/** Streams one document format: a header, each record, a footer. */
export interface RecordEncoder {
  readonly format: DocumentFormat;
  readonly extension: string;
  header(): string;
  record(r: ConnectorRecord): string;
  footer(): string;
}

export function createEncoder(format: DocumentFormat): RecordEncoder {
  switch (format) {
    case 'jsonl':
      return {
        format,
        extension: 'jsonl',
        header: () => '',
        record: (r) => `${JSON.stringify(recordObject(r))}\n`,
        footer: () => '',
      };
    case 'csv':
      return {
        format,
        extension: 'csv',
        header: () => `${csvColumns.join(',')}\r\n`,
        record: csvRow,
        footer: () => '',
      };
    case 'json': {
      let first = true;
      return {
        format,
        extension: 'json',
        header: () => '[',
        record: (r) => {
          const sep = first ? '\n' : ',\n';
          first = false;
          return `${sep}${JSON.stringify(recordObject(r))}`;
        },
        footer: () => (first ? ']\n' : '\n]\n'),
      };
    }
  }
}
