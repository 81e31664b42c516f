/**
 * MS-WSUSSS names (docs/protocol/server-sync.md §2.1). ServerSync and Reporting share the SoftwareDistribution namespace; the
 * DSS authorization service has its own. SOAPAction = namespace + '/' + operation.
 */
export const serverSyncNs = 'http://www.microsoft.com/SoftwareDistribution';
export const dssAuthNs = 'http://www.microsoft.com/SoftwareDistribution/Server/DssAuthWebService';

/** Path of the ServerSync service on a WSUS/Patchbay upstream (the WSDL's `ServerSyncProxy.asmx` 404s). */
export const serverSyncPath = '/ServerSyncWebService/ServerSyncWebService.asmx';

export type ServerSyncOperation =
  'GetAuthConfig' | 'GetCookie' | 'GetConfigData' | 'GetRevisionIdList' | 'GetUpdateData' | 'GetDeployments';

export function serverSyncAction(op: ServerSyncOperation): string {
  return `${serverSyncNs}/${op}`;
}

export const dssGetAuthorizationCookieAction = `${dssAuthNs}/GetAuthorizationCookie`;
