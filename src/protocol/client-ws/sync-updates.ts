import type { RevisionId, UpdateId } from '../../domain/index.js';
import { parseBoolean, parseGuid, readArray, readOptional, readRequired } from '../soap/index.js';
import { childElement, escapeXml, invalidParameter, type XmlElement } from '../xml/index.js';
import { defaultClientWsLimits, type ClientWsLimits } from './limits.js';
import { clientNs } from './namespaces.js';
import { decodeRequestCookie, type SessionCookie } from './session-cookie.js';
import { encodeSyncInfo, type SyncUpdatesResult } from './sync-info.js';
import { streamedRevisionIds } from './sync-updates-stream.js';
import { decodeSystemSpec, type SystemSpecDevice } from './system-spec.js';
import {
  complexArrayItems,
  expectOperation,
  parseRevisionId,
  parseUpdateId,
  trimmedStringParser,
} from './wire.js';
import { stringParser } from '../soap/index.js';

/** The `ProductsParameters` block the native client adds (not in the published WSDL); strings kept bounded. */
export interface SyncProductsParameters {
  readonly syncCurrentVersionOnly: boolean | undefined;
  /** `Key=Value;…` (OSVersion, OSSkuId, UpdateServiceUrl…): input for OSInstaller DeviceAttribute rules. */
  readonly deviceAttributes: string | undefined;
  /** `Interactive=0;…;Id=<caller>;` */
  readonly callerAttributes: string | undefined;
  readonly products: string | undefined;
}

/**
 * A SyncUpdates call (docs/protocol/client.md §1.4, §1.6). An absent id list is `undefined` (the first native call omits
 * them all), an empty one `[]`. Unknown elements are ignored (docs/protocol/security.md §5.1 item 11).
 */
export interface SyncUpdatesRequest {
  readonly cookie: SessionCookie;
  /** REAL: always false. */
  readonly expressQuery: boolean;
  /** Non-leaf revisions the client evaluated as installed: the set that satisfies prerequisites. */
  readonly installedNonLeafRevisionIds: readonly RevisionId[] | undefined;
  /** Everything else the client has cached (leaves included); does not satisfy prerequisites. */
  readonly otherCachedRevisionIds: readonly RevisionId[] | undefined;
  readonly cachedDriverRevisionIds: readonly RevisionId[] | undefined;
  /** Present on the driver pass only: the devices whose drivers the client asks for. */
  readonly systemSpec: { readonly devices: readonly SystemSpecDevice[] } | undefined;
  /** True on the driver pass. */
  readonly skipSoftwareSync: boolean;
  /** Category-filtered scans (REAL: the OOBE ZDP scan). */
  readonly filterCategoryIds: readonly UpdateId[] | undefined;
  readonly needTwoGroupOutOfScopeUpdates: boolean;
  readonly alsoPerformRegularSync: boolean;
  /** `ComputerSpec/HardwareIDs` (computer hardware ids, driver pass). */
  readonly computerHardwareIds: readonly string[] | undefined;
  readonly featureScoreMatchingKey: string | undefined;
  readonly productsParameters: SyncProductsParameters | undefined;
}

const p = (name: string): string => `parameters.${name}`;

/**
 * A revision-id list child of `parameters`: the ids the streaming reader (sync-updates-stream.ts) already
 * read and checked item by item when it streamed this element, else readArray over the tree. The count
 * limit is applied here either way (the reader's own bound may be a different limits object).
 */
function readRevisionIds(params: XmlElement, name: string, maxLength: number): RevisionId[] | undefined {
  const listEl = childElement(params, clientNs, name);
  const ids = listEl && streamedRevisionIds(listEl);
  if (ids === undefined) return readArray(params, clientNs, name, p(name), parseRevisionId, { maxLength });
  if (ids.length > maxLength) throw invalidParameter(p(name), `more than ${maxLength} items`);
  return ids;
}

export function decodeSyncUpdatesRequest(
  op: XmlElement,
  limits: ClientWsLimits = defaultClientWsLimits,
): SyncUpdatesRequest {
  expectOperation(op, clientNs, 'SyncUpdates');
  const params = childElement(op, clientNs, 'parameters');
  if (!params) throw invalidParameter('parameters', 'missing element parameters');
  // REAL WSUS checks the 400-entry cap before anything else (even the cookie): count first, parse after.
  const installed = readRevisionIds(params, 'InstalledNonLeafUpdateIDs', limits.maxInstalledNonLeafIds);
  const cookie = decodeRequestCookie(op, clientNs, limits.maxCookieBytes);
  const ids = (name: string, maxLength: number): RevisionId[] | undefined =>
    readRevisionIds(params, name, maxLength);
  const flag = (name: string): boolean =>
    readOptional(params, clientNs, name, p(name), parseBoolean) ?? false;

  let systemSpec: SyncUpdatesRequest['systemSpec'];
  const specEl = childElement(params, clientNs, 'SystemSpec');
  if (specEl)
    systemSpec = { devices: decodeSystemSpec(specEl, p('SystemSpec'), limits.maxSystemSpecDevices) };

  let filterCategoryIds: UpdateId[] | undefined;
  const filterEl = childElement(params, clientNs, 'FilterCategoryIds');
  if (filterEl)
    filterCategoryIds = complexArrayItems(filterEl, p('FilterCategoryIds'), limits.maxFilterCategoryIds).map(
      (item) => readRequired(item, clientNs, 'Id', p('FilterCategoryIds.Id'), parseUpdateId),
    );

  const computerSpec = childElement(params, clientNs, 'ComputerSpec');
  const computerHardwareIds = computerSpec
    ? readArray(computerSpec, clientNs, 'HardwareIDs', p('ComputerSpec.HardwareIDs'), parseGuid, {
        maxLength: limits.maxComputerHardwareIds,
      })
    : undefined;

  let productsParameters: SyncProductsParameters | undefined;
  const prodEl = childElement(params, clientNs, 'ProductsParameters');
  if (prodEl) {
    const text = stringParser(limits.maxAttributeString);
    const q = (name: string): string => p(`ProductsParameters.${name}`);
    productsParameters = {
      syncCurrentVersionOnly: readOptional(
        prodEl,
        clientNs,
        'SyncCurrentVersionOnly',
        q('SyncCurrentVersionOnly'),
        parseBoolean,
      ),
      deviceAttributes: readOptional(prodEl, clientNs, 'DeviceAttributes', q('DeviceAttributes'), text),
      callerAttributes: readOptional(prodEl, clientNs, 'CallerAttributes', q('CallerAttributes'), text),
      products: readOptional(prodEl, clientNs, 'Products', q('Products'), text),
    };
  }

  return {
    cookie,
    expressQuery: flag('ExpressQuery'),
    installedNonLeafRevisionIds: installed,
    otherCachedRevisionIds: ids('OtherCachedUpdateIDs', limits.maxOtherCachedIds),
    cachedDriverRevisionIds: ids('CachedDriverIDs', limits.maxCachedDriverIds),
    systemSpec,
    skipSoftwareSync: flag('SkipSoftwareSync'),
    filterCategoryIds,
    needTwoGroupOutOfScopeUpdates: flag('NeedTwoGroupOutOfScopeUpdates'),
    alsoPerformRegularSync: flag('AlsoPerformRegularSync'),
    computerHardwareIds,
    featureScoreMatchingKey: readOptional(
      params,
      clientNs,
      'FeatureScoreMatchingKey',
      p('FeatureScoreMatchingKey'),
      trimmedStringParser(limits.maxShortString),
    ),
    productsParameters,
  };
}

/** `SyncUpdatesResponse/SyncUpdatesResult` (SyncInfo). */
export function encodeSyncUpdatesResponse(r: SyncUpdatesResult): string {
  // A template, not el(): el joins its content, which would copy the whole page once more.
  return `<SyncUpdatesResponse xmlns="${escapeXml(clientNs)}">${encodeSyncInfo('SyncUpdatesResult', r)}</SyncUpdatesResponse>`;
}
