/**
 * The MS-WUSP endpoints (docs/protocol/client.md §1.1) mounted on the SOAP route layer: the client web service,
 * SimpleAuth and Reporting (both spellings of its path). Paths are matched case-insensitively.
 */
import type { FastifyRequest } from 'fastify';
import type { ClientCall, ClientWebService } from '../client-service/index.js';
import { clientNs, parseClientRequestXml, simpleAuthNs } from '../protocol/client-ws/index.js';
import { reportingNs } from '../protocol/reporting/index.js';
import { SoapOperationRegistry } from '../protocol/soap/index.js';
import { soapRequestLimits, type XmlReadLimits } from '../protocol/xml/index.js';
import type { SoapCallContext, SoapEndpoint, SoapHandler } from './soap-routes.js';

export const clientWebServicePath = '/ClientWebService/client.asmx';
export const simpleAuthPath = '/SimpleAuthWebService/SimpleAuth.asmx';
/** Native WUA uses the first; the WSDL and MS-SAMPLE the second: serve both. */
export const reportingPaths = [
  '/ReportingWebService/ReportingWebService.asmx',
  '/ReportingWebService/WebService.asmx',
] as const;

function callOf(ctx: SoapCallContext): ClientCall {
  return { baseUrl: ctx.baseUrl, nowMs: ctx.receivedAtMs, ipAddress: ipOf(ctx.request) };
}

function ipOf(request: FastifyRequest): string | undefined {
  const ip = request.ip;
  return typeof ip === 'string' && ip.length <= 64 ? ip.replace(/^::ffff:/, '') : undefined;
}

/**
 * ReportEventBatch is bounded by bytes only: a scan reports one event per update it evaluated (1,670 events,
 * ~2 MB, seen in one batch), and a refused batch is resent forever, so the whole request body limit is
 * accepted. Elements are bounded by bytes too (a real event spends ~35 bytes per element; 16 bytes per
 * element is the floor), so a hostile body of tiny elements cannot build a tree larger than its bytes allow.
 */
export function reportingXmlLimits(bodyLimit: number): XmlReadLimits {
  return {
    ...soapRequestLimits,
    maxBytes: bodyLimit,
    maxElements: Math.max(soapRequestLimits.maxElements, Math.ceil(bodyLimit / 16)),
  };
}

/** The three SOAP endpoints of a Windows Update server, bound to one client web service. */
export function clientWsEndpoints(
  service: ClientWebService,
  /** Adds operations to the Reporting endpoint (the upstream role's roll-up, server-sync-routes.ts). */
  extendReporting: (r: SoapOperationRegistry<SoapHandler>) => SoapOperationRegistry<SoapHandler> = (r) => r,
): SoapEndpoint[] {
  const h =
    (fn: (op: Parameters<SoapHandler>[0], call: ClientCall) => Promise<string> | string): SoapHandler =>
    (op, ctx) =>
      fn(op, callOf(ctx));
  const client = new SoapOperationRegistry<SoapHandler>()
    .register(
      clientNs,
      'GetConfig',
      h((op) => service.getConfig(op)),
    )
    .register(
      clientNs,
      'GetCookie',
      h((op, c) => service.getCookie(op, c)),
    )
    .register(
      clientNs,
      'RegisterComputer',
      h((op, c) => service.registerComputer(op, c)),
    )
    .register(
      clientNs,
      'StartCategoryScan',
      h((op) => service.startCategoryScan(op)),
    )
    .register(
      clientNs,
      'SyncUpdates',
      h((op, c) => service.syncUpdates(op, c)),
    )
    .register(
      clientNs,
      'SyncPrinterCatalog',
      h((op, c) => service.syncPrinterCatalog(op, c)),
    )
    .register(
      clientNs,
      'RefreshCache',
      h((op, c) => service.refreshCache(op, c)),
    )
    .register(
      clientNs,
      'GetExtendedUpdateInfo',
      h((op, c) => service.getExtendedUpdateInfo(op, c)),
    )
    .register(
      clientNs,
      'GetFileLocations',
      h((op, c) => service.getFileLocations(op, c)),
    );
  const simpleAuth = new SoapOperationRegistry<SoapHandler>().register(
    simpleAuthNs,
    'GetAuthorizationCookie',
    h((op, c) => service.getAuthorizationCookie(op, c)),
  );
  const reporting = extendReporting(
    new SoapOperationRegistry<SoapHandler>().register(
      reportingNs,
      'ReportEventBatch',
      h((op, c) => service.reportEventBatch(op, c)),
    ),
  );
  return [
    {
      paths: [clientWebServicePath],
      style: 'client',
      registry: client,
      // SyncUpdates id lists are read without building their XML tree (targets.md P1).
      parseXml: (body, limits) => parseClientRequestXml(body, limits, service.limits),
    },
    { paths: [simpleAuthPath], style: 'asmx', registry: simpleAuth },
    { paths: [...reportingPaths], style: 'asmx', registry: reporting, xmlLimits: reportingXmlLimits },
  ];
}
