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
import { defaultServerSyncLimits, type ServerSyncLimits } from './limits.js';
import { serverSyncNs } from './namespaces.js';
import { decodeServerSyncCookie, encodeServerSyncCookie, type ServerSyncCookie } from './session-cookie.js';
import { boolText, parseNonNegativeInt, shortString } from './values.js';

export interface GetConfigDataRequest {
  readonly cookie: ServerSyncCookie;
  /** Omitted on the first call; the previous `NewConfigAnchor` afterwards. */
  readonly configAnchor: string | undefined;
}

/** One `ServerSyncLanguageData` (REAL: 39 entries, id 0 = `all`). */
export interface ServerSyncLanguage {
  readonly languageId: number;
  readonly shortLanguage: string;
  readonly longLanguage: string;
  readonly enabled: boolean;
}

/** `ServerSyncConfigData`, REAL child order. Limits come from the upstream; never hard-code them. */
export interface ServerSyncConfigData {
  readonly catalogOnlySync: boolean;
  readonly lazySync: boolean;
  readonly serverHostsPsfFiles: boolean;
  readonly maxNumberOfComputerIdsInRequest: number;
  readonly maxNumberOfDriverSetsPerRequest: number;
  readonly maxNumberOfPnpHardwareIdsInRequest: number;
  /** REAL 100; GetUpdateData with 101 ids is InvalidParameters. */
  readonly maxNumberOfUpdatesPerRequest: number;
  readonly newConfigAnchor: string | undefined;
  readonly protocolVersion: string;
  /** Empty when the anchor is current (REAL 000004: `<LanguageUpdateList />`). */
  readonly languages: readonly ServerSyncLanguage[];
  readonly maxUpdatesPerRequestInGetUpdateDecryptionData: number | undefined;
}

/**
 * The server flags a WS2025 upstream answers (REAL, wsus-m0-wsusss exchange 000004): a full (not catalog-only),
 * lazy, PSF-less server that takes no computer-id, driver-set or PnP-id batches, protocol 1.20. Every upstream
 * role (ours, the test and bench fake upstreams) answers these; limits and anchors are each server's own.
 */
export const ws2025ServerFlags = {
  catalogOnlySync: false,
  lazySync: true,
  serverHostsPsfFiles: false,
  maxNumberOfComputerIdsInRequest: 0,
  maxNumberOfDriverSetsPerRequest: 0,
  maxNumberOfPnpHardwareIdsInRequest: 0,
  protocolVersion: '1.20',
} as const satisfies Partial<ServerSyncConfigData>;

export function encodeGetConfigDataRequest(r: GetConfigDataRequest): string {
  return el('GetConfigData', { xmlns: serverSyncNs }, [
    encodeServerSyncCookie('cookie', r.cookie),
    optionalTextEl('configAnchor', r.configAnchor),
  ]);
}

/** The session cookie every ServerSync call after GetCookie carries (upstream role). */
export function decodeRequestCookie(op: XmlElement, limits: ServerSyncLimits): ServerSyncCookie {
  const c = childElement(op, serverSyncNs, 'cookie');
  if (!c) throw invalidParameter('cookie', 'missing element cookie');
  return decodeServerSyncCookie(c, serverSyncNs, 'cookie', limits);
}

export function decodeGetConfigDataRequest(
  op: XmlElement,
  limits: ServerSyncLimits = defaultServerSyncLimits,
): GetConfigDataRequest {
  expectServerSyncOperation(op, serverSyncNs, 'GetConfigData');
  return {
    cookie: decodeRequestCookie(op, limits),
    configAnchor: readOptional(
      op,
      serverSyncNs,
      'configAnchor',
      'configAnchor',
      shortString(limits.maxShortString),
    ),
  };
}

export function decodeGetConfigDataResult(
  result: XmlElement,
  limits: ServerSyncLimits = defaultServerSyncLimits,
): ServerSyncConfigData {
  return decodeOrProtocolError('GetConfigData', () => {
    const ns = serverSyncNs;
    const s = shortString(limits.maxShortString);
    const bool = (name: string, dflt: boolean) => readOptional(result, ns, name, name, parseBoolean) ?? dflt;
    const int = (name: string) => readOptional(result, ns, name, name, parseNonNegativeInt);
    const listEl = childElement(result, ns, 'LanguageUpdateList');
    const items = listEl ? childElements(listEl, ns, 'ServerSyncLanguageData') : [];
    if (items.length > limits.maxLanguages)
      throw invalidParameter('LanguageUpdateList', `more than ${limits.maxLanguages} languages`);
    const maxUpdates = readRequired(
      result,
      ns,
      'MaxNumberOfUpdatesPerRequest',
      'MaxNumberOfUpdatesPerRequest',
      parseNonNegativeInt,
    );
    return {
      catalogOnlySync: bool('CatalogOnlySync', false),
      lazySync: bool('LazySync', false),
      serverHostsPsfFiles: bool('ServerHostsPsfFiles', false),
      maxNumberOfComputerIdsInRequest: int('MaxNumberOfComputerIdsInRequest') ?? 0,
      maxNumberOfDriverSetsPerRequest: int('MaxNumberOfDriverSetsPerRequest') ?? 0,
      maxNumberOfPnpHardwareIdsInRequest: int('MaxNumberOfPnpHardwareIdsInRequest') ?? 0,
      maxNumberOfUpdatesPerRequest: maxUpdates,
      newConfigAnchor: readOptional(result, ns, 'NewConfigAnchor', 'NewConfigAnchor', s),
      protocolVersion: readOptional(result, ns, 'ProtocolVersion', 'ProtocolVersion', s) ?? '',
      languages: items.map((l) => ({
        languageId: readRequired(l, ns, 'LanguageID', 'LanguageID', parseNonNegativeInt),
        shortLanguage: readRequired(l, ns, 'ShortLanguage', 'ShortLanguage', s),
        longLanguage: readOptional(l, ns, 'LongLanguage', 'LongLanguage', s) ?? '',
        enabled: readOptional(l, ns, 'Enabled', 'Enabled', parseBoolean) ?? false,
      })),
      maxUpdatesPerRequestInGetUpdateDecryptionData: int('MaxUpdatesPerRequestInGetUpdateDecryptionData'),
    };
  });
}

export function encodeGetConfigDataResponse(c: ServerSyncConfigData): string {
  return el('GetConfigDataResponse', { xmlns: serverSyncNs }, [
    el('GetConfigDataResult', undefined, [
      textEl('CatalogOnlySync', boolText(c.catalogOnlySync)),
      textEl('LazySync', boolText(c.lazySync)),
      textEl('ServerHostsPsfFiles', boolText(c.serverHostsPsfFiles)),
      textEl('MaxNumberOfComputerIdsInRequest', c.maxNumberOfComputerIdsInRequest),
      textEl('MaxNumberOfDriverSetsPerRequest', c.maxNumberOfDriverSetsPerRequest),
      textEl('MaxNumberOfPnpHardwareIdsInRequest', c.maxNumberOfPnpHardwareIdsInRequest),
      textEl('MaxNumberOfUpdatesPerRequest', c.maxNumberOfUpdatesPerRequest),
      optionalTextEl('NewConfigAnchor', c.newConfigAnchor),
      textEl('ProtocolVersion', c.protocolVersion),
      el(
        'LanguageUpdateList',
        undefined,
        c.languages.map((l) =>
          el('ServerSyncLanguageData', undefined, [
            textEl('LanguageID', l.languageId),
            textEl('ShortLanguage', l.shortLanguage),
            textEl('LongLanguage', l.longLanguage),
            textEl('Enabled', boolText(l.enabled)),
          ]),
        ),
      ),
      optionalTextEl(
        'MaxUpdatesPerRequestInGetUpdateDecryptionData',
        c.maxUpdatesPerRequestInGetUpdateDecryptionData,
      ),
    ]),
  ]);
}
