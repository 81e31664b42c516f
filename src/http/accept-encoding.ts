/**
 * `Accept-Encoding` (RFC 9110 §12.5.3) as far as the SOAP answers need it: does the request offer `xpress`?
 * Native WUA sends exactly `Accept-Encoding: xpress` (REAL, docs/protocol/upstream.md §U3.1).
 */

/** Longer headers are not parsed (answered identity): no real client sends more than a few codings. */
const maxHeaderLength = 1024;
const qvalue = /^q\s*=\s*(0(?:\.[0-9]{0,3})?|1(?:\.0{0,3})?)$/i;

/**
 * True when `xpress` is listed with a q-value above 0 (case-insensitive; `xpress;q=0` refuses it). A bare `*`
 * does not select it: the wildcard comes from generic HTTP clients, and none of them decodes Xpress.
 * Malformed elements are ignored; a malformed q-value counts as 0.
 */
export function acceptsXpress(header: string | readonly string[] | undefined): boolean {
  if (header === undefined) return false;
  const value = typeof header === 'string' ? header : header.join(',');
  if (value.length > maxHeaderLength) return false;
  for (const element of value.split(',')) {
    const [coding, ...params] = element.split(';');
    if (coding?.trim().toLowerCase() !== 'xpress') continue;
    let q = 1;
    for (const p of params) {
      const t = p.trim();
      if (!/^q\s*=/i.test(t)) continue;
      const m = qvalue.exec(t);
      q = m ? Number(m[1]) : 0;
    }
    return q > 0;
  }
  return false;
}
