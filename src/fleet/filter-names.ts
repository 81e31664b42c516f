/**
 * The names in an update filter must name something: `--classification "Securty Updates"` matching no update
 * would approve nothing and exit 0. Titles are checked against the stored categories; a GUID is taken as is
 * (an id is not a typo, and the filter matches ids of categories whose documents are not stored).
 */
import { parseGuid } from '../domain/index.js';
import type { AdminStore } from './admin-store.js';
import { unknownNameError } from './unknown-name.js';

export const severityNames = ['Critical', 'Important', 'Moderate', 'Low'] as const;

/** Throws PB_ERR_INVALID_PARAMETER (with a did-you-mean) for a severity that is not an MSRC one. */
export function checkSeverity(value: string | undefined): void {
  if (value !== undefined && !severityNames.some((s) => s.toLowerCase() === value.trim().toLowerCase()))
    throw unknownNameError('severity', 'severity', value, severityNames);
}

/** Throws PB_ERR_INVALID_PARAMETER for the first classification or product title no stored category has. */
export async function checkCategoryNames(
  store: AdminStore,
  filter: { classifications?: readonly string[]; products?: readonly string[] },
): Promise<void> {
  for (const [kind, type, names] of [
    ['classification', 'UpdateClassification', filter.classifications],
    ['product', 'Product', filter.products],
  ] as const) {
    const titled = (names ?? []).filter((n) => parseGuid(n) === undefined);
    if (titled.length === 0) continue;
    const known = await store.repos.adminQueries.categoryTitles(type);
    const lower = new Set(known.map((t) => t.toLowerCase()));
    const unknown = titled.find((n) => !lower.has(n.trim().toLowerCase()));
    if (unknown !== undefined) throw unknownNameError(kind, kind, unknown, known);
  }
}
