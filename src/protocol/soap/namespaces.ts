/** Namespace URIs of SOAP itself and of the WSUS services (docs/protocol/client.md §1.1, docs/protocol/server-sync.md §2.1). Matching is by URI only. */
export const soap11EnvelopeNs = 'http://schemas.xmlsoap.org/soap/envelope/';
export const soap12EnvelopeNs = 'http://www.w3.org/2003/05/soap-envelope';
export const soap11EncodingNs = 'http://schemas.xmlsoap.org/soap/encoding/';
export const soap12EncodingNs = 'http://www.w3.org/2003/05/soap-encoding';
export const xsiNs = 'http://www.w3.org/2001/XMLSchema-instance';
export const xsdNs = 'http://www.w3.org/2001/XMLSchema';

export type SoapVersion = '1.1' | '1.2';

/** Operation namespaces (the default xmlns of the body element). */
export const wsusNamespaces = Object.freeze({
  clientWebService: 'http://www.microsoft.com/SoftwareDistribution/Server/ClientWebService',
  simpleAuthWebService: 'http://www.microsoft.com/SoftwareDistribution/Server/SimpleAuthWebService',
  dssAuthWebService: 'http://www.microsoft.com/SoftwareDistribution/Server/DssAuthWebService',
  /** Reporting (ReportEventBatch, roll-up) and ServerSync share this namespace. */
  softwareDistribution: 'http://www.microsoft.com/SoftwareDistribution',
});

export function envelopeNamespace(version: SoapVersion): string {
  return version === '1.1' ? soap11EnvelopeNs : soap12EnvelopeNs;
}
