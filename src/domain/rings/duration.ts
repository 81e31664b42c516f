import { AppError } from '../../errors.js';

const unitMs: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
/** Longest duration accepted (a soak or a deadline offset): a year. */
export const maxDurationMs = 366 * 86_400_000;

/**
 * A duration an admin types: `0`, `90m`, `12h`, `2d`, `1d12h`, `1w` (units s, m, h, d, w). Anything else, or
 * more than a year, is PB_ERR_INVALID_PARAMETER naming the parameter.
 */
export function parseDuration(text: string, parameter: string): number {
  const v = typeof text === 'string' ? text.trim().toLowerCase() : '';
  if (v === '0') return 0;
  const bad = () =>
    new AppError(
      'PB_ERR_INVALID_PARAMETER',
      `${parameter} must be a duration such as 90m, 12h, 2d or 1d12h (units s, m, h, d, w), got ${JSON.stringify(
        String(text).slice(0, 32),
      )}`,
      { detail: { parameter } },
    );
  if (v.length === 0 || v.length > 32 || !/^(\d+[smhdw])+$/.test(v)) throw bad();
  let ms = 0;
  for (const m of v.matchAll(/(\d+)([smhdw])/g)) ms += Number(m[1]) * unitMs[m[2]!]!;
  if (ms > maxDurationMs) throw bad();
  return ms;
}

/** The shortest text parseDuration reads back as `ms` (whole seconds), e.g. 129600000 -> `1d12h`. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0';
  let left = Math.round(ms / 1000) * 1000;
  let out = '';
  for (const u of ['w', 'd', 'h', 'm', 's']) {
    const n = Math.floor(left / unitMs[u]!);
    if (n > 0) {
      out += `${n}${u}`;
      left -= n * unitMs[u]!;
    }
  }
  return out;
}
