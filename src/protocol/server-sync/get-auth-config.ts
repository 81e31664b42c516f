import { readOptional, readRequired } from '../soap/index.js';
import { childElement, childElements, el, invalidParameter, textEl, type XmlElement } from '../xml/index.js';
import { decodeOrProtocolError, expectServerSyncOperation } from './envelope.js';
import { defaultServerSyncLimits, type ServerSyncLimits } from './limits.js';
import { serverSyncNs } from './namespaces.js';
import { shortString } from './values.js';

/** One `AuthPlugInInfo`: REAL `DssTargeting` with the relative `DssAuthWebService/DssAuthWebService.asmx`. */
export interface AuthPlugInInfo {
  readonly plugInId: string;
  /** Relative to the server root (MS-SAMPLE: root + "/" + ServiceUrl), or absolute. */
  readonly serviceUrl: string;
  readonly parameter: string;
}

export interface GetAuthConfigResult {
  /** As written (`2026-10-04T13:16:35.433Z`). */
  readonly lastChange: string;
  readonly plugIns: readonly AuthPlugInInfo[];
}

const maxPlugIns = 16;

/** `<GetAuthConfig xmlns=…/>` (no parameters). */
export function encodeGetAuthConfigRequest(): string {
  return el('GetAuthConfig', { xmlns: serverSyncNs });
}

/** Upstream role: accepts the empty request. */
export function decodeGetAuthConfigRequest(op: XmlElement): void {
  expectServerSyncOperation(op, serverSyncNs, 'GetAuthConfig');
}

export function decodeGetAuthConfigResult(
  result: XmlElement,
  limits: ServerSyncLimits = defaultServerSyncLimits,
): GetAuthConfigResult {
  return decodeOrProtocolError('GetAuthConfig', () => {
    const s = shortString(limits.maxShortString);
    const authInfo = childElement(result, serverSyncNs, 'AuthInfo');
    const items = authInfo ? childElements(authInfo, serverSyncNs, 'AuthPlugInInfo') : [];
    if (items.length > maxPlugIns) throw invalidParameter('AuthInfo', `more than ${maxPlugIns} plug-ins`);
    return {
      lastChange: readOptional(result, serverSyncNs, 'LastChange', 'LastChange', s) ?? '',
      plugIns: items.map((p) => ({
        plugInId: readRequired(p, serverSyncNs, 'PlugInID', 'AuthPlugInInfo.PlugInID', s),
        serviceUrl: readRequired(p, serverSyncNs, 'ServiceUrl', 'AuthPlugInInfo.ServiceUrl', s),
        parameter: readOptional(p, serverSyncNs, 'Parameter', 'AuthPlugInInfo.Parameter', s) ?? '',
      })),
    };
  });
}

/** Upstream role: the `GetAuthConfigResponse` element in the REAL child order. */
export function encodeGetAuthConfigResponse(r: GetAuthConfigResult): string {
  return el('GetAuthConfigResponse', { xmlns: serverSyncNs }, [
    el('GetAuthConfigResult', undefined, [
      textEl('LastChange', r.lastChange),
      el(
        'AuthInfo',
        undefined,
        r.plugIns.map((p) =>
          el('AuthPlugInInfo', undefined, [
            textEl('PlugInID', p.plugInId),
            textEl('ServiceUrl', p.serviceUrl),
            p.parameter === '' ? el('Parameter') : textEl('Parameter', p.parameter),
          ]),
        ),
      ),
    ]),
  ]);
}

/**
 * The DSS authorization URL: the `DssTargeting` plug-in's ServiceUrl resolved against the upstream's server
 * root (the ServerSync URL without its path), as MS-SAMPLE and WSUS do.
 */
export function resolveDssAuthUrl(serverSyncUrl: string, plugIns: readonly AuthPlugInInfo[]): string {
  const dss = plugIns.find((p) => p.plugInId.toLowerCase() === 'dsstargeting');
  if (dss === undefined) throw invalidParameter('AuthInfo', 'no DssTargeting plug-in');
  const root = new URL(serverSyncUrl);
  const url = /^https?:\/\//i.test(dss.serviceUrl)
    ? new URL(dss.serviceUrl)
    : new URL(`/${dss.serviceUrl.replace(/^\/+/, '')}`, root.origin);
  // An upstream must not redirect our credentials-free auth call to another scheme or host.
  if (url.origin !== root.origin)
    throw invalidParameter('AuthPlugInInfo.ServiceUrl', 'points to another origin');
  return url.toString();
}
