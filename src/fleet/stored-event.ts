import type { ReportedEvent } from '../protocol/reporting/index.js';

/** One ReplacementStrings/MiscData string as stored (REAL event strings are well under 1 KiB). */
export const maxStoredEventString = 1024;
/**
 * All of an event's ReplacementStrings/MiscData together, as stored. Keeps the JSON under the repository's
 * 16 KiB raw cut, so stored text stays valid JSON instead of being cut mid-value.
 */
export const maxStoredEventStrings = 12 * 1024;

/**
 * The raw text stored for a reported event: the codec's typed fields as JSON, with the free-text lists cut
 * to sane lengths first (a 156 `U=` list of 1,670 ids is ~62 KB; its states are derived from the full list
 * before this). `truncated` says something was cut, and the JSON says so too.
 */
export function storedEventText(e: ReportedEvent): { raw: string; truncated: boolean } {
  let left = maxStoredEventStrings;
  let truncated = false;
  const cut = (list: readonly string[]): string[] => {
    const out: string[] = [];
    for (const s of list) {
      if (left <= 0) {
        truncated = true;
        break;
      }
      const kept =
        s.length > Math.min(maxStoredEventString, left)
          ? s.slice(0, Math.min(maxStoredEventString, left))
          : s;
      if (kept.length < s.length) truncated = true;
      left -= kept.length;
      out.push(kept);
    }
    return out;
  };
  const replacementStrings = cut(e.replacementStrings);
  const miscData = cut(e.miscData);
  const raw = JSON.stringify({ ...e, replacementStrings, miscData, ...(truncated ? { truncated } : {}) });
  return { raw, truncated };
}
