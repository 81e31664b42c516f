/**
 * One figure of a benchmark: the measured value beside an anchor measured in the same run on the same machine.
 * Ratios are what we track (absolute times on a shared 2-core machine move by +-30 %).
 */
export interface BenchResult {
  /** Target id from docs targets (P1..P6), or a free id for extra figures. */
  readonly id: string;
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  readonly anchor: number;
  readonly anchorName: string;
  /** value / anchor, or anchor / value for "lower is better" units; say which in `name`. */
  readonly ratio: number;
  /** Human-readable target, e.g. ">= 0.5x and >= 1,000 pages/s". */
  readonly target?: string;
  /** Whether the figure meets its target, when the benchmark can tell. */
  readonly pass?: boolean;
}

export interface BenchOptions {
  readonly quick: boolean;
}

export type BenchModule = { run(opts: BenchOptions): Promise<BenchResult[]> };

export function formatResult(r: BenchResult): string {
  const fmt = (n: number): string => (Math.abs(n) >= 100 ? n.toFixed(0) : n.toPrecision(3));
  const mark = r.pass === undefined ? '' : r.pass ? '  pass' : '  SHORT';
  return `${r.id.padEnd(4)} ${r.name}: ${fmt(r.value)} ${r.unit}  | anchor (${r.anchorName}): ${fmt(r.anchor)} ${r.unit}  | ratio ${r.ratio.toFixed(2)}x${r.target ? `  | target ${r.target}` : ''}${mark}`;
}
