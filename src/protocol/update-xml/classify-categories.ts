import type { UpdateId } from '../../domain/index.js';
import type { CategoryType, UpdateDocument } from './update-document.js';

/**
 * What a lookup knows about an id: a category document's CategoryType, `null` for a category document
 * without one (generic category), undefined when the id is not a known category (an update or detectoid).
 */
export type CategoryTypeLookup = (id: UpdateId) => CategoryType | null | undefined;

export interface ClassifiedCategories {
  readonly companies: readonly UpdateId[];
  readonly productFamilies: readonly UpdateId[];
  readonly products: readonly UpdateId[];
  readonly classifications: readonly UpdateId[];
  /** Known categories without a CategoryType. */
  readonly otherCategories: readonly UpdateId[];
  /** `IsCategory="true"` ids the lookup does not know (their category document has not been synced). */
  readonly unknownCategories: readonly UpdateId[];
}

/**
 * Sorts an update's category references into companies, product families, products and classifications.
 *
 * A document alone cannot tell a product from a classification: both are plain `UpdateIdentity` elements in
 * prerequisite clauses. The category documents can (`cat:CategoryInformation/@CategoryType`), so the caller
 * passes a lookup built from them. Which ids are considered:
 * - every id in an `AtLeastOne IsCategory="true"` clause is a category by the document's own word
 *   (`doc.categoryIds`); unknown to the lookup, it lands in `unknownCategories`;
 * - any other prerequisite id counts only if the lookup knows it as a category: Defender leaves and hidden
 *   sub-bundles name their product and classification in plain `AtLeastOne` clauses without `IsCategory`
 *   (MS-SAMPLE treats such ids the same way).
 * Each id appears once, in document order.
 */
export function classifyCategories(doc: UpdateDocument, lookup: CategoryTypeLookup): ClassifiedCategories {
  const companies: UpdateId[] = [];
  const productFamilies: UpdateId[] = [];
  const products: UpdateId[] = [];
  const classifications: UpdateId[] = [];
  const otherCategories: UpdateId[] = [];
  const unknownCategories: UpdateId[] = [];
  const seen = new Set<UpdateId>();
  for (const clause of doc.prerequisites) {
    for (const id of clause.anyOf) {
      if (seen.has(id)) continue;
      const type = lookup(id);
      if (type === undefined) {
        if (clause.isCategory) {
          seen.add(id);
          unknownCategories.push(id);
        }
        continue;
      }
      seen.add(id);
      switch (type) {
        case 'Company':
          companies.push(id);
          break;
        case 'ProductFamily':
          productFamilies.push(id);
          break;
        case 'Product':
          products.push(id);
          break;
        case 'UpdateClassification':
          classifications.push(id);
          break;
        default:
          otherCategories.push(id);
      }
    }
  }
  return Object.freeze({
    companies,
    productFamilies,
    products,
    classifications,
    otherCategories,
    unknownCategories,
  });
}

/** A lookup over parsed category documents (and, optionally, well-known ids such as the classifications). */
export function categoryLookupFrom(
  categories: Iterable<UpdateDocument>,
  extra?: ReadonlyMap<UpdateId, CategoryType>,
): CategoryTypeLookup {
  const m = new Map<UpdateId, CategoryType | null>(extra);
  for (const d of categories)
    if (d.updateType === 'Category') m.set(d.identity.updateId, d.categoryInformation?.categoryType ?? null);
  return (id) => m.get(id);
}
