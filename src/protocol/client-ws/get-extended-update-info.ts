import type { RevisionId } from '../../domain/index.js';
import { readArray, readOptional, stringParser, type ItemParser } from '../soap/index.js';
import { el, invalidParameter, literalArray, textEl, escapeXml, type XmlElement } from '../xml/index.js';
import { extendedUpdateInfoOrder, ordered, updateDataOrder } from './element-order.js';
import { encodeFileLocations, type FileLocation } from './file-location.js';
import { defaultClientWsLimits, type ClientWsLimits } from './limits.js';
import { clientNs } from './namespaces.js';
import { decodeRequestCookie, type SessionCookie } from './session-cookie.js';
import { expectOperation, parseRevisionId, trimmedStringParser } from './wire.js';

/** `XmlUpdateFragmentType` (WSDL enum, with the newer values). */
export type FragmentType =
  | 'Published'
  | 'Core'
  | 'Extended'
  | 'VerificationRule'
  | 'LocalizedProperties'
  | 'Eula'
  | 'FileUrl'
  | 'FileDecryption'
  | 'SamplingRate'
  | 'PiecesHashUrl'
  | 'BlockMapUrl'
  | 'EsrpDecryptionInformation';

const fragmentTypes: ReadonlySet<string> = new Set<FragmentType>([
  'Published',
  'Core',
  'Extended',
  'VerificationRule',
  'LocalizedProperties',
  'Eula',
  'FileUrl',
  'FileDecryption',
  'SamplingRate',
  'PiecesHashUrl',
  'BlockMapUrl',
  'EsrpDecryptionInformation',
]);

/** An enum value outside the WSDL is InvalidParameters, as WSUS's XML serializer refuses it. */
const parseFragmentType: ItemParser<FragmentType> = (text, path) => {
  const t = text.trim();
  if (!fragmentTypes.has(t)) throw invalidParameter(path, 'unknown XmlUpdateFragmentType');
  return t as FragmentType;
};

export interface GetExtendedUpdateInfoRequest {
  readonly cookie: SessionCookie;
  /** REAL: ascending, 3-24 seen; more than MaxExtendedUpdatesPerRequest is InvalidParameters `revisionIDs`. */
  readonly revisionIds: readonly RevisionId[];
  readonly infoTypes: readonly FragmentType[];
  /** REAL: `en-US`, `en` (first match wins; English is always available). */
  readonly locales: readonly string[];
  readonly deviceAttributes: string | undefined;
  readonly geoId: string | undefined;
  readonly callerAttributes: string | undefined;
}

/** One fragment of one revision (`Update{ID, Xml}`). */
export interface FragmentData {
  readonly revisionId: RevisionId;
  readonly xml: string;
}

export interface GetExtendedUpdateInfoResult {
  /** REAL order: every Extended fragment in request order, then one LocalizedProperties per revision. */
  readonly fragments: readonly FragmentData[];
  /** One per distinct file of the requested revisions; omitted from the wire when empty. */
  readonly fileLocations: readonly FileLocation[];
  readonly outOfScopeRevisionIds?: readonly RevisionId[] | undefined;
}

export function decodeGetExtendedUpdateInfoRequest(
  op: XmlElement,
  limits: ClientWsLimits = defaultClientWsLimits,
): GetExtendedUpdateInfoRequest {
  expectOperation(op, clientNs, 'GetExtendedUpdateInfo');
  const revisionIds = readArray(op, clientNs, 'revisionIDs', 'revisionIDs', parseRevisionId, {
    maxLength: limits.maxExtendedUpdatesPerRequest,
  });
  if (revisionIds === undefined) throw invalidParameter('revisionIDs', 'missing element revisionIDs');
  const attrs = stringParser(limits.maxAttributeString);
  return {
    cookie: decodeRequestCookie(op, clientNs, limits.maxCookieBytes),
    revisionIds,
    infoTypes:
      readArray(op, clientNs, 'infoTypes', 'infoTypes', parseFragmentType, {
        maxLength: limits.maxInfoTypes,
      }) ?? [],
    locales:
      readArray(op, clientNs, 'locales', 'locales', trimmedStringParser(limits.maxShortString), {
        maxLength: limits.maxLocales,
      }) ?? [],
    deviceAttributes: readOptional(op, clientNs, 'deviceAttributes', 'deviceAttributes', attrs),
    geoId: readOptional(op, clientNs, 'GeoId', 'GeoId', trimmedStringParser(limits.maxShortString)),
    callerAttributes: readOptional(op, clientNs, 'callerAttributes', 'callerAttributes', attrs),
  };
}

function encodeFragment(f: FragmentData): string {
  return el(
    'Update',
    undefined,
    ordered(updateDataOrder, { ID: textEl('ID', f.revisionId), Xml: `<Xml>${escapeXml(f.xml)}</Xml>` }),
  );
}

export function encodeGetExtendedUpdateInfoResponse(r: GetExtendedUpdateInfoResult): string {
  const oos = r.outOfScopeRevisionIds;
  const result = el(
    'GetExtendedUpdateInfoResult',
    undefined,
    ordered(extendedUpdateInfoOrder, {
      Updates:
        r.fragments.length === 0 ? undefined : el('Updates', undefined, r.fragments.map(encodeFragment)),
      FileLocations: encodeFileLocations(r.fileLocations),
      OutOfScopeRevisionIDs:
        oos === undefined || oos.length === 0 ? undefined : literalArray('OutOfScopeRevisionIDs', 'int', oos),
    }),
  );
  return el('GetExtendedUpdateInfoResponse', { xmlns: clientNs }, [result]);
}
