import type { UpdateId, UpdateIdentity } from '../../domain/index.js';
import { parseBoolean, readOptional, readRequired } from '../soap/index.js';
import {
  childElement,
  childElements,
  el,
  invalidParameter,
  optionalTextEl,
  textEl,
  type XmlElement,
} from '../xml/index.js';
import { decodeOrProtocolError, expectServerSyncOperation } from './envelope.js';
import { decodeRequestCookie } from './get-config-data.js';
import { defaultServerSyncLimits, type ServerSyncLimits } from './limits.js';
import { serverSyncNs } from './namespaces.js';
import { encodeServerSyncCookie, type ServerSyncCookie } from './session-cookie.js';
import {
  boolText,
  decodeUpdateIdentity,
  encodeUpdateIdentity,
  parseNonNegativeInt,
  parseUpdateId,
  shortString,
} from './values.js';

export interface IdAndDelta {
  readonly id: UpdateId;
  readonly delta: boolean;
}

export interface LanguageAndDelta {
  readonly id: number;
  readonly delta: boolean;
}

/**
 * `ServerSyncFilter` (docs/protocol/server-sync.md §2.3). Element order on the wire: (`DssProtocolVersion`, never sent),
 * `Anchor`, `GetConfig`, `Get63LanguageOnly`, `Categories`, `Classifications`, `Languages`.
 * REAL WS2025 semantics: products AND classifications (one list alone selects nothing); `Delta=false` with an
 * anchor returns everything again, so a DSS sends `Delta=true` exactly when it sends an anchor.
 */
export interface ServerSyncFilter {
  readonly anchor: string | undefined;
  readonly getConfig: boolean;
  /** SPEC: required for DSS >= 1.2; undefined omits it (the captured probe omitted it). */
  readonly get63LanguageOnly: boolean | undefined;
  /** Products (and other categories); undefined omits the element. */
  readonly categories: readonly IdAndDelta[] | undefined;
  readonly classifications: readonly IdAndDelta[] | undefined;
  readonly languages: readonly LanguageAndDelta[] | undefined;
}

export interface GetRevisionIdListRequest {
  readonly cookie: ServerSyncCookie;
  readonly filter: ServerSyncFilter;
}

export interface RevisionIdList {
  readonly anchor: string | undefined;
  /** In the upstream's order; may hold several revisions of one id (REAL, GetConfig=true). */
  readonly revisions: readonly UpdateIdentity[];
}

/** Hard cap on filter list lengths we accept as an upstream (a real DSS sends tens). */
const maxFilterIds = 10_000;

function idAndDeltaList(name: string, items: readonly IdAndDelta[] | undefined): string {
  if (items === undefined) return '';
  return el(
    name,
    undefined,
    items.map((i) => el('IdAndDelta', undefined, [textEl('Id', i.id), textEl('Delta', boolText(i.delta))])),
  );
}

export function encodeGetRevisionIdListRequest(r: GetRevisionIdListRequest): string {
  const f = r.filter;
  return el('GetRevisionIdList', { xmlns: serverSyncNs }, [
    encodeServerSyncCookie('cookie', r.cookie),
    el('filter', undefined, [
      optionalTextEl('Anchor', f.anchor),
      textEl('GetConfig', boolText(f.getConfig)),
      f.get63LanguageOnly === undefined ? '' : textEl('Get63LanguageOnly', boolText(f.get63LanguageOnly)),
      idAndDeltaList('Categories', f.categories),
      idAndDeltaList('Classifications', f.classifications),
      f.languages === undefined
        ? ''
        : el(
            'Languages',
            undefined,
            f.languages.map((l) =>
              el('LanguageAndDelta', undefined, [textEl('Id', l.id), textEl('Delta', boolText(l.delta))]),
            ),
          ),
    ]),
  ]);
}

function readIdAndDelta(filter: XmlElement, name: string): IdAndDelta[] | undefined {
  const listEl = childElement(filter, serverSyncNs, name);
  if (!listEl) return undefined;
  const items = childElements(listEl, serverSyncNs, 'IdAndDelta');
  if (items.length > maxFilterIds) throw invalidParameter('filter', `more than ${maxFilterIds} ${name}`);
  return items.map((i) => ({
    id: readRequired(i, serverSyncNs, 'Id', `filter.${name}.Id`, parseUpdateId),
    delta: readRequired(i, serverSyncNs, 'Delta', `filter.${name}.Delta`, parseBoolean),
  }));
}

export function decodeGetRevisionIdListRequest(
  op: XmlElement,
  limits: ServerSyncLimits = defaultServerSyncLimits,
): GetRevisionIdListRequest {
  expectServerSyncOperation(op, serverSyncNs, 'GetRevisionIdList');
  const cookie = decodeRequestCookie(op, limits);
  const f = childElement(op, serverSyncNs, 'filter');
  if (!f) throw invalidParameter('filter', 'missing element filter');
  const langEl = childElement(f, serverSyncNs, 'Languages');
  const langItems = langEl ? childElements(langEl, serverSyncNs, 'LanguageAndDelta') : undefined;
  if (langItems && langItems.length > maxFilterIds) throw invalidParameter('filter', 'too many Languages');
  return {
    cookie,
    filter: {
      anchor: readOptional(f, serverSyncNs, 'Anchor', 'filter', shortString(limits.maxShortString)),
      getConfig: readRequired(f, serverSyncNs, 'GetConfig', 'filter', parseBoolean),
      get63LanguageOnly: readOptional(f, serverSyncNs, 'Get63LanguageOnly', 'filter', parseBoolean),
      categories: readIdAndDelta(f, 'Categories'),
      classifications: readIdAndDelta(f, 'Classifications'),
      languages: langItems?.map((l) => ({
        id: readRequired(l, serverSyncNs, 'Id', 'filter.Languages.Id', parseNonNegativeInt),
        delta: readRequired(l, serverSyncNs, 'Delta', 'filter.Languages.Delta', parseBoolean),
      })),
    },
  };
}

export function decodeGetRevisionIdListResult(
  result: XmlElement,
  limits: ServerSyncLimits = defaultServerSyncLimits,
): RevisionIdList {
  return decodeOrProtocolError('GetRevisionIdList', () => {
    const listEl = childElement(result, serverSyncNs, 'NewRevisions');
    const revisions: UpdateIdentity[] = [];
    if (listEl)
      for (const c of listEl.children) {
        if (c.kind !== 'element') continue;
        if (c.uri !== serverSyncNs || c.local !== 'UpdateIdentity') continue;
        if (revisions.length === limits.maxListedRevisions)
          throw invalidParameter('NewRevisions', `more than ${limits.maxListedRevisions} identities`);
        revisions.push(decodeUpdateIdentity(c, serverSyncNs, 'NewRevisions'));
      }
    return {
      anchor: readOptional(result, serverSyncNs, 'Anchor', 'Anchor', shortString(limits.maxShortString)),
      revisions,
    };
  });
}

export function encodeGetRevisionIdListResponse(r: RevisionIdList): string {
  return el('GetRevisionIdListResponse', { xmlns: serverSyncNs }, [
    el('GetRevisionIdListResult', undefined, [
      optionalTextEl('Anchor', r.anchor),
      el(
        'NewRevisions',
        undefined,
        r.revisions.map((i) => encodeUpdateIdentity('UpdateIdentity', i)),
      ),
    ]),
  ]);
}
