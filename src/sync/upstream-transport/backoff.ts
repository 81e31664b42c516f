import type { RandomSource } from './clock.js';

export interface BackoffPolicy {
  /** First retry's upper bound in ms; doubles each retry. */
  baseDelayMs: number;
  /** Upper bound of any single delay (before Retry-After is considered). */
  maxDelayMs: number;
}

/**
 * "Full jitter" exponential backoff: a uniform delay in [0, min(cap, base * 2^retry)]. Spreading retries
 * over the whole window is what keeps many downstream servers from hammering a recovering upstream in
 * lock step; the cap keeps a long outage from growing the delay without bound.
 * `retry` is 0 for the first retry.
 */
export function backoffDelay(retry: number, policy: BackoffPolicy, random: RandomSource): number {
  // 2^31 is already far beyond any cap; clamping the exponent avoids Infinity for large retry counts.
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.min(retry, 31));
  return Math.floor(random() * ceiling);
}

/**
 * Parses an HTTP `Retry-After` value (delta-seconds or an HTTP-date) into milliseconds from `nowMs`.
 * Returns undefined when absent or unparseable; negative dates clamp to 0.
 */
export function parseRetryAfter(value: string | string[] | undefined, nowMs: number): number | undefined {
  const raw = Array.isArray(value) ? value[0] : value;
  if (raw === undefined) return undefined;
  const text = raw.trim();
  if (text === '') return undefined;
  if (/^\d+$/.test(text)) {
    // Bound the digits so a hostile header cannot produce a huge or imprecise number.
    if (text.length > 9) return Number.MAX_SAFE_INTEGER;
    return Number(text) * 1000;
  }
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}
