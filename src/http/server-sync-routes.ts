/**
 * The MS-WSUSSS endpoints a downstream server calls (docs/upstream.md) mounted on the SOAP route layer, on the
 * client ports: ServerSync and DssAuth, both answering Ping too. Paths are matched case-insensitively (the
 * SPEC writes the DssAuth path in lower case, WSUS serves any case).
 */
import { dssAuthNs, monitorableNs, serverSyncNs, serverSyncPath } from '../protocol/server-sync/index.js';
import { SoapOperationRegistry } from '../protocol/soap/index.js';
import type { UpstreamCall, UpstreamWebService } from '../upstream-service/index.js';
import type { SoapCallContext, SoapEndpoint, SoapHandler } from './soap-routes.js';

export const dssAuthPath = '/DssAuthWebService/DssAuthWebService.asmx';

function callOf(ctx: SoapCallContext): UpstreamCall {
  const ip = ctx.request.ip;
  const ua = ctx.request.headers['user-agent'];
  return {
    nowMs: ctx.receivedAtMs,
    isHttps: ctx.baseUrl.startsWith('https:'),
    ipAddress: typeof ip === 'string' && ip.length <= 64 ? ip.replace(/^::ffff:/, '') : undefined,
    userAgent: typeof ua === 'string' ? ua.slice(0, 256) : undefined,
  };
}

export function serverSyncEndpoints(service: UpstreamWebService): SoapEndpoint[] {
  const h =
    (fn: (op: Parameters<SoapHandler>[0], call: UpstreamCall) => Promise<string> | string): SoapHandler =>
    (op, ctx: SoapCallContext) =>
      fn(op, callOf(ctx));
  const ping = h((op, c) => service.ping(op, c));
  const serverSync = new SoapOperationRegistry<SoapHandler>()
    .register(
      serverSyncNs,
      'GetAuthConfig',
      h((op, c) => service.getAuthConfig(op, c)),
    )
    .register(
      serverSyncNs,
      'GetCookie',
      h((op, c) => service.getCookie(op, c)),
    )
    .register(
      serverSyncNs,
      'GetConfigData',
      h((op, c) => service.getConfigData(op, c)),
    )
    .register(
      serverSyncNs,
      'GetRevisionIdList',
      h((op, c) => service.getRevisionIdList(op, c)),
    )
    .register(
      serverSyncNs,
      'GetUpdateData',
      h((op, c) => service.getUpdateData(op, c)),
    )
    .register(
      serverSyncNs,
      'GetRelatedRevisionsForUpdates',
      h((op, c) => service.getRelatedRevisionsForUpdates(op, c)),
    )
    .register(
      serverSyncNs,
      'GetDeployments',
      h((op, c) => service.getDeployments(op, c)),
    )
    .register(
      serverSyncNs,
      'DownloadFiles',
      h((op, c) => service.downloadFiles(op, c)),
    )
    .register(
      serverSyncNs,
      'GetUpdateDecryptionData',
      h((op, c) => service.getUpdateDecryptionData(op, c)),
    )
    .register(monitorableNs, 'Ping', ping);
  const dssAuth = new SoapOperationRegistry<SoapHandler>()
    .register(
      dssAuthNs,
      'GetAuthorizationCookie',
      h((op, c) => service.getAuthorizationCookie(op, c)),
    )
    .register(monitorableNs, 'Ping', ping);
  return [
    { paths: [serverSyncPath], style: 'asmx', registry: serverSync },
    { paths: [dssAuthPath], style: 'asmx', registry: dssAuth },
  ];
}
