/** Small helpers shared by every INI-backed configuration (the server's and the connector's). */

/** " (did you mean X?)" for the closest known key within two edits, else ''. For typo messages. */
export function suggestKey(known: readonly string[], key: string): string {
  const best = closest(known, key, (k) => k);
  return best ? ` (did you mean ${best}?)` : '';
}

/**
 * The known name closest to `name` within two edits, ignoring case (an admin types "securty updates" for
 * "Security Updates"), else undefined. For did-you-mean messages on names rather than keys.
 */
export function closestName(known: readonly string[], name: string): string | undefined {
  return closest(known, name, (k) => k.toLowerCase());
}

function closest(known: readonly string[], wanted: string, fold: (s: string) => string): string | undefined {
  let best: string | undefined;
  let bestD = 3;
  const w = fold(wanted);
  for (const k of known) {
    const d = editDistance(fold(k), w);
    if (d < bestD) {
      bestD = d;
      best = k;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 3) return 99;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(
        (prev[j] ?? 0) + 1,
        (cur[j - 1] ?? 0) + 1,
        (prev[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    prev = cur;
  }
  return prev[b.length] ?? 99;
}

/** Freezes a parsed configuration all the way down, so nothing can change it after validation. */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
