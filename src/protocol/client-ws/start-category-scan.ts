import type { UpdateId } from '../../domain/index.js';
import { readRequired } from '../soap/index.js';
import { childElement, el, literalArray, type XmlElement } from '../xml/index.js';
import { ordered, startCategoryScanResponseOrder } from './element-order.js';
import { defaultClientWsLimits, type ClientWsLimits } from './limits.js';
import { clientNs } from './namespaces.js';
import { complexArrayItems, expectOperation, parseNonNegativeInt32, parseUpdateId } from './wire.js';

/** One term of the requested-category DNF: terms with the same `andGroup` are ANDed, groups are ORed. */
export interface CategoryTerm {
  readonly andGroup: number;
  readonly categoryId: UpdateId;
}

/** REAL: sent without a cookie, only when the server advertises ProtocolVersion >= 3.2. */
export interface StartCategoryScanRequest {
  readonly requestedCategories: readonly CategoryTerm[];
}

export interface StartCategoryScanResult {
  readonly preferredCategoryIds: readonly UpdateId[];
  /** Requested categories the server does not know; omitted when undefined or empty. */
  readonly categoryIdsInError?: readonly UpdateId[] | undefined;
}

/** 200 or more categories is InvalidParameters `requestedCategories` (SPEC, WSUS 3.0 SP2). */
export function decodeStartCategoryScanRequest(
  op: XmlElement,
  limits: ClientWsLimits = defaultClientWsLimits,
): StartCategoryScanRequest {
  expectOperation(op, clientNs, 'StartCategoryScan');
  const path = 'requestedCategories';
  const arr = childElement(op, clientNs, 'requestedCategories');
  if (!arr) return { requestedCategories: [] };
  const items = complexArrayItems(arr, path, limits.maxRequestedCategories);
  return {
    requestedCategories: items.map((item) => ({
      andGroup: readRequired(
        item,
        clientNs,
        'IndexOfAndGroup',
        `${path}.IndexOfAndGroup`,
        parseNonNegativeInt32,
      ),
      categoryId: readRequired(item, clientNs, 'CategoryId', `${path}.CategoryId`, parseUpdateId),
    })),
  };
}

/** No `…Result` wrapper: the fields sit directly in StartCategoryScanResponse (docs/protocol/client.md §1.2). */
export function encodeStartCategoryScanResponse(r: StartCategoryScanResult): string {
  const inError = r.categoryIdsInError;
  return el(
    'StartCategoryScanResponse',
    { xmlns: clientNs },
    ordered(startCategoryScanResponseOrder, {
      preferredCategoryIds: literalArray('preferredCategoryIds', 'guid', r.preferredCategoryIds),
      requestedCategoryIdsInError:
        inError === undefined || inError.length === 0
          ? undefined
          : literalArray('requestedCategoryIdsInError', 'guid', inError),
    }),
  );
}
