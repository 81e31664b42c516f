import { AppError } from '../errors.js';

/**
 * The anchors Patchbay hands a downstream, in WSUS's shape `<counter>,<yyyy-MM-dd HH:mm:ss.fff>` (REAL
 * `9438,2026-10-04 16:33:26.670`; Windows DSSs require it, MS-WSUSSS <34>). The counter is a row of the
 * served-generation change log, the time that row's time (UTC).
 */
export interface WireAnchor {
  readonly counter: number;
  readonly time: string;
}

const anchorPattern = /^(\d{1,10}),(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3})$/;

/** `2026-10-04 16:33:26.670` for a UTC instant. */
export function anchorTime(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
}

export function formatAnchor(counter: number, ms: number): string {
  return `${counter},${anchorTime(ms)}`;
}

/**
 * An anchor a downstream sent back: undefined for absent or empty (first sync); anything else not in the
 * anchor shape is InvalidParameters `filter` (REAL: WS2025's answer to a garbage anchor).
 */
export function parseAnchor(text: string | undefined, parameter: string): WireAnchor | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  const m = anchorPattern.exec(text.trim());
  const counter = m ? Number(m[1]) : NaN;
  if (!m || !Number.isSafeInteger(counter) || Number.isNaN(Date.parse(`${m[2]!.replace(' ', 'T')}Z`)))
    throw new AppError('PB_ERR_INVALID_PARAMETER', `${parameter}: not an anchor`, { detail: { parameter } });
  return { counter, time: m[2]! };
}
