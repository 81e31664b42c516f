/** Localized fragments of revisions in given languages (storage implements it). */
export interface LocalizedSource {
  localized(
    revisionIds: readonly number[],
    languages: readonly string[],
  ): Promise<readonly { revisionId: number; language: string; xml: string }[]>;
}

/** Caps the locale list we expand (the codec already bounds it to 16 entries). */
const maxCandidates = 40;

/**
 * The candidate languages in preference order (docs/protocol/client.md §1.7 item 6): each requested locale as sent, then
 * its primary subtag (`en-US` -> `en`), then English (`en-US`, `en`) so an answer always exists.
 * Matching is case-insensitive.
 */
export function localeCandidates(requested: readonly string[]): string[] {
  const out: string[] = [];
  const add = (l: string): void => {
    const k = l.toLowerCase();
    if (k !== '' && !out.includes(k) && out.length < maxCandidates) out.push(k);
  };
  for (const l of requested) add(l);
  for (const l of requested) add(l.split('-')[0] ?? '');
  add('en-us');
  add('en');
  return out;
}

/** One LocalizedProperties fragment per revision, the first candidate language that exists wins. */
export async function pickLocalized(
  source: LocalizedSource,
  revisionIds: readonly number[],
  requested: readonly string[],
): Promise<Map<number, string>> {
  const out = new Map<number, string>();
  if (revisionIds.length === 0) return out;
  const candidates = localeCandidates(requested);
  const rows = await source.localized(revisionIds, []);
  const best = new Map<number, { rank: number; xml: string }>();
  for (const r of rows) {
    const rank = candidates.indexOf(r.language.toLowerCase());
    if (rank < 0) continue;
    const prev = best.get(r.revisionId);
    if (prev === undefined || rank < prev.rank) best.set(r.revisionId, { rank, xml: r.xml });
  }
  for (const [id, b] of best) out.set(id, b.xml);
  return out;
}
