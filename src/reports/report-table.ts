/**
 * The one shape every report has, so the three formatters (table, CSV, JSON) stay generic. Values are plain:
 * `time` columns hold epoch milliseconds, `percent` columns a number 0..100 with one decimal, or null.
 */
export type ReportColumnKind = 'text' | 'int' | 'percent' | 'time';

export interface ReportColumn {
  /** JSON key and CSV header (stable, camelCase). */
  readonly key: string;
  /** Human header for the table output. */
  readonly title: string;
  readonly kind: ReportColumnKind;
}

export type ReportValue = string | number | null;
export type ReportRow = Readonly<Record<string, ReportValue>>;

export interface ReportTable {
  /** Stable report name: `updates`, `computers`, `compliance-severity`, `compliance-group`, `sync`. */
  readonly name: string;
  readonly title: string;
  /** Epoch ms (injectable clock, so outputs can be golden-tested). */
  readonly generatedAt: number;
  readonly columns: readonly ReportColumn[];
  readonly rows: readonly ReportRow[];
  /** The row limit cut the result short. */
  readonly truncated: boolean;
}

export const col = (key: string, title: string, kind: ReportColumnKind = 'text'): ReportColumn => ({
  key,
  title,
  kind,
});

/** Share of `part` in `whole` as a percentage with one decimal; null when there is nothing to measure. */
export function percent(part: number, whole: number): number | null {
  if (whole <= 0) return null;
  return Math.round((part / whole) * 1000) / 10;
}
