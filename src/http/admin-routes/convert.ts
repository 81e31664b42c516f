import { type AdminServices } from '../../admin/index.js';
import { parseIsoTime, type UpdateFilter, type UpdateSelection } from '../../fleet/index.js';

/** The wire form of an update filter (query string or a body's `filter`). */
export interface WireUpdateFilter {
  text?: string;
  kb?: string;
  classification?: string[] | string;
  product?: string[] | string;
  severity?: string;
  approval?: 'approved' | 'unapproved' | 'declined';
  group?: string;
  neededMin?: number;
  needed?: boolean;
  superseded?: boolean;
  failed?: boolean;
  includeHidden?: boolean;
  catalogState?: 'served' | 'quarantined' | 'pending';
}

const list = (v: string[] | string | undefined): string[] | undefined =>
  v === undefined
    ? undefined
    : (Array.isArray(v) ? v : [v])
        .flatMap((x) => x.split(','))
        .map((x) => x.trim())
        .filter((x) => x !== '');

/** Wire filter -> service filter (a group name becomes its id). */
export async function toUpdateFilter(services: AdminServices, w: WireUpdateFilter): Promise<UpdateFilter> {
  const classifications = list(w.classification);
  const products = list(w.product);
  return {
    ...(w.text !== undefined ? { text: w.text } : {}),
    ...(w.kb !== undefined ? { kb: w.kb } : {}),
    ...(classifications ? { classifications } : {}),
    ...(products ? { products } : {}),
    ...(w.severity !== undefined ? { severity: w.severity } : {}),
    ...(w.approval !== undefined ? { approval: w.approval } : {}),
    ...(w.group !== undefined ? { approvalGroupId: (await services.groups.resolve(w.group)).groupId } : {}),
    ...(w.neededMin !== undefined ? { neededMin: w.neededMin } : {}),
    ...(w.needed !== undefined ? { needed: w.needed } : {}),
    ...(w.superseded !== undefined ? { superseded: w.superseded } : {}),
    ...(w.failed !== undefined ? { failed: w.failed } : {}),
    ...(w.includeHidden !== undefined ? { includeHidden: w.includeHidden } : {}),
    ...(w.catalogState !== undefined ? { catalogState: w.catalogState } : {}),
  };
}

export interface WireSelection {
  updateIds?: string[];
  kbs?: string[];
  filter?: WireUpdateFilter;
}

export async function toSelection(services: AdminServices, w: WireSelection): Promise<UpdateSelection> {
  return {
    ...(w.updateIds !== undefined ? { updateIds: w.updateIds } : {}),
    ...(w.kbs !== undefined ? { kbs: w.kbs } : {}),
    ...(w.filter !== undefined ? { filter: await toUpdateFilter(services, w.filter) } : {}),
  };
}

/** An optional ISO 8601 time of a body -> ms (null = none). */
export function parseWireTime(v: string | undefined | null, parameter: string): number | null | undefined {
  if (v === undefined || v === null) return v;
  return parseIsoTime(v, parameter);
}
