/**
 * The MS-WSUSSS endpoints a downstream server calls (docs/upstream.md) mounted on the SOAP route layer, on the
 * client ports: ServerSync and DssAuth, both answering Ping too. Paths are matched case-insensitively (the
 * SPEC writes the DssAuth path in lower case, WSUS serves any case).
 */
import { dssAuthNs, monitorableNs, serverSyncNs, serverSyncPath } from '../protocol/server-sync/index.js';
import type { TLSSocket } from 'node:tls';
import { reportingNs } from '../protocol/reporting/index.js';
import { SoapOperationRegistry } from '../protocol/soap/index.js';
import type {
  ClientCertificateState,
  RollupWebService,
  UpstreamCall,
  UpstreamWebService,
} from '../upstream-service/index.js';
import type { SoapCallContext, SoapEndpoint, SoapHandler } from './soap-routes.js';

export const dssAuthPath = '/DssAuthWebService/DssAuthWebService.asmx';

/**
 * The client certificate of the connection. The HTTPS port asks for one only when `[upstream_service]
 * client_ca_file` is set, and never rejects the handshake (Windows Update Agents present none): the verdict
 * is the socket's, checked per server-sync and roll-up call by the admission rules.
 */
export function clientCertificateOf(ctx: SoapCallContext): ClientCertificateState {
  const socket = ctx.request.raw.socket as Partial<TLSSocket>;
  if (socket.encrypted !== true || typeof socket.getPeerCertificate !== 'function') return 'absent';
  if (socket.authorized === true) return 'valid';
  const peer = socket.getPeerCertificate();
  return peer && Object.keys(peer).length > 0 ? 'invalid' : 'absent';
}

function callOf(ctx: SoapCallContext): UpstreamCall {
  const ip = ctx.request.ip;
  const ua = ctx.request.headers['user-agent'];
  return {
    nowMs: ctx.receivedAtMs,
    isHttps: ctx.baseUrl.startsWith('https:'),
    ipAddress: typeof ip === 'string' && ip.length <= 64 ? ip.replace(/^::ffff:/, '') : undefined,
    userAgent: typeof ua === 'string' ? ua.slice(0, 256) : undefined,
    clientCertificate: clientCertificateOf(ctx),
  };
}

/**
 * The five reporting roll-up operations (docs/protocol/upstream.md §U2) for the ReportingWebService endpoint,
 * which they share with the clients' ReportEventBatch (client-ws-routes.ts mounts them beside it).
 */
export function registerRollupOperations(
  registry: SoapOperationRegistry<SoapHandler>,
  rollup: RollupWebService,
): SoapOperationRegistry<SoapHandler> {
  const h =
    (fn: (op: Parameters<SoapHandler>[0], call: UpstreamCall) => Promise<string>): SoapHandler =>
    (op, ctx: SoapCallContext) =>
      fn(op, callOf(ctx));
  return registry
    .register(
      reportingNs,
      'GetRollupConfiguration',
      h((op, c) => rollup.getRollupConfiguration(op, c)),
    )
    .register(
      reportingNs,
      'RollupDownstreamServers',
      h((op, c) => rollup.rollupDownstreamServers(op, c)),
    )
    .register(
      reportingNs,
      'RollupComputers',
      h((op, c) => rollup.rollupComputers(op, c)),
    )
    .register(
      reportingNs,
      'GetOutOfSyncComputers',
      h((op, c) => rollup.getOutOfSyncComputers(op, c)),
    )
    .register(
      reportingNs,
      'RollupComputerStatus',
      h((op, c) => rollup.rollupComputerStatus(op, c)),
    );
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
