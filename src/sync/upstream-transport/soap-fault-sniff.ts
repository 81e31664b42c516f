/**
 * A cheap "is this a SOAP fault?" check on a non-2xx answer, so a WSUS fault (HTTP 500 with an ErrorCode such as
 * InvalidCookie or ServerChanged) is handed to the caller's SOAP codec instead of being retried as a server
 * failure. It only looks at the media type and for an Envelope and a Fault element name in the first bytes;
 * the caller parses the body properly.
 */
const SNIFF_BYTES = 4096;

export function looksLikeSoapFault(contentType: string | string[] | undefined, body: Buffer): boolean {
  const type = (Array.isArray(contentType) ? contentType[0] : contentType)?.toLowerCase() ?? '';
  if (!type.includes('xml')) return false;
  // Faults put <Fault> right after <Body>, so the head of the document is enough. Works for UTF-8 and ASCII.
  const head = body.subarray(0, SNIFF_BYTES).toString('latin1');
  return /<([A-Za-z_][\w.-]*:)?Envelope[\s>]/.test(head) && /<([A-Za-z_][\w.-]*:)?Fault[\s>/]/.test(head);
}
