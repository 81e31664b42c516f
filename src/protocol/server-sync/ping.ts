import { el, textEl } from '../xml/index.js';

/** `Ping` lives in its own namespace on every service (docs/protocol/upstream.md §U1.1). */
export const monitorableNs = 'http://www.microsoft.com/SoftwareDistribution/Server/IMonitorable';

/**
 * SPEC: a DSS must not call Ping; answered with a minimal success (the required elements of
 * MonitoredServicesResponse) so a monitoring probe gets a well-formed answer, not a fault.
 */
export function encodePingResponse(nowIso: string, isHttps: boolean): string {
  return el('PingResponse', { xmlns: monitorableNs }, [
    el('PingResult', undefined, [
      textEl('SuccessFlag', 'true'),
      textEl('ServicesTime', nowIso),
      textEl('IsHttps', isHttps ? 'true' : 'false'),
      textEl('ConfigFileLastModifiedTime', nowIso),
      textEl('ConfigFileNextExpirationTime', nowIso),
      textEl('ConfigFileExpirationModuloInMinutes', 0),
    ]),
  ]);
}
