import { readRequired } from '../soap/index.js';
import { el, literalArray, textEl, type XmlElement } from '../xml/index.js';
import {
  authPlugInInfoOrder,
  configOrder,
  configPropertyNames,
  configurationPropertyOrder,
  ordered,
} from './element-order.js';
import { defaultClientWsLimits, type ClientWsLimits } from './limits.js';
import { clientNs } from './namespaces.js';
import { expectOperation, trimmedStringParser } from './wire.js';
import { formatDateTime, type WireTime } from './wire-time.js';

export interface GetConfigRequest {
  /** The client's protocol version (REAL native: `2.90`; the scripted driver: `1.8`). Informational. */
  readonly clientProtocolVersion: string;
}

/** One authorization plug-in the client must call (REAL: exactly one, SimpleTargeting). */
export interface AuthPlugIn {
  readonly plugInId: string;
  /** Relative to the Client service's base (REAL: `SimpleAuthWebService/SimpleAuth.asmx`, no leading slash). */
  readonly serviceUrl: string;
  readonly parameter: string;
}

export interface GetConfigResult {
  /** Configuration generation stamp; the client echoes it in GetCookie (ConfigChanged when it differs). */
  readonly lastChange: WireTime;
  readonly registrationRequired: boolean;
  readonly authPlugIns: readonly AuthPlugIn[];
  /** WSDL-only; WS2025 omits it. */
  readonly allowedEventIds?: readonly number[] | undefined;
  readonly maxExtendedUpdatesPerRequest: number;
  /** REAL: `\\SERVER\UpdateServicesPackages`. */
  readonly packageServerShare: string;
  /** Must be 3.2 for StartCategoryScan (docs/protocol/client.md §1.4); see `serverProtocolVersion`. */
  readonly protocolVersion: string;
  readonly inventoryRequired: boolean;
  /** REAL: 2. */
  readonly clientReportingLevel: number;
}

/** The server protocol version WUA needs for the fast category scan (3.0 fails StartCategoryScan). */
export const serverProtocolVersion = '3.2';

/** The REAL plug-in shape (PYWSUS's `Anonymous` with an empty URL also works, but copy the real one). */
export const simpleTargetingPlugIn: AuthPlugIn = Object.freeze({
  plugInId: 'SimpleTargeting',
  serviceUrl: 'SimpleAuthWebService/SimpleAuth.asmx',
  parameter: '',
});

export function decodeGetConfigRequest(
  op: XmlElement,
  limits: ClientWsLimits = defaultClientWsLimits,
): GetConfigRequest {
  expectOperation(op, clientNs, 'GetConfig');
  return {
    clientProtocolVersion: readRequired(
      op,
      clientNs,
      'protocolVersion',
      'protocolVersion',
      trimmedStringParser(limits.maxShortString),
    ),
  };
}

function encodeAuthPlugIn(p: AuthPlugIn): string {
  return el(
    'AuthPlugInInfo',
    undefined,
    ordered(authPlugInInfoOrder, {
      PlugInID: textEl('PlugInID', p.plugInId),
      ServiceUrl: textEl('ServiceUrl', p.serviceUrl),
      // WS2025 writes the empty parameter self-closed.
      Parameter: p.parameter === '' ? el('Parameter') : textEl('Parameter', p.parameter),
    }),
  );
}

function encodeProperty(name: string, value: string | number): string {
  return el(
    'ConfigurationProperty',
    undefined,
    ordered(configurationPropertyOrder, { Name: textEl('Name', name), Value: textEl('Value', value) }),
  );
}

export function encodeGetConfigResponse(r: GetConfigResult): string {
  const values: Record<(typeof configPropertyNames)[number], string | number> = {
    MaxExtendedUpdatesPerRequest: r.maxExtendedUpdatesPerRequest,
    PackageServerShare: r.packageServerShare,
    ProtocolVersion: r.protocolVersion,
    IsInventoryRequired: r.inventoryRequired ? 1 : 0,
    ClientReportingLevel: r.clientReportingLevel,
  };
  const result = el(
    'GetConfigResult',
    undefined,
    ordered(configOrder, {
      LastChange: textEl('LastChange', formatDateTime(r.lastChange)),
      IsRegistrationRequired: textEl('IsRegistrationRequired', r.registrationRequired),
      AuthInfo: el('AuthInfo', undefined, r.authPlugIns.map(encodeAuthPlugIn)),
      AllowedEventIds:
        r.allowedEventIds === undefined
          ? undefined
          : literalArray('AllowedEventIds', 'int', r.allowedEventIds),
      Properties: el(
        'Properties',
        undefined,
        configPropertyNames.map((n) => encodeProperty(n, values[n])),
      ),
    }),
  );
  return el('GetConfigResponse', { xmlns: clientNs }, [result]);
}
