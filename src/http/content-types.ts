/**
 * `Content-Type` of a `/Content/` answer by the extension the client asked for (docs/protocol/client.md §1.9).
 * REAL: WS2025's IIS answered `application/octet-stream` for `.exe` (test/fixtures/.../content-headers). For
 * the other update file types IIS needs a MIME map entry; WSUS's setup and Microsoft's KB3159706 instructions
 * (`.esd`) map them to `application/octet-stream` as well: UNVERIFIED on the wire for `.cab`, `.msu`, `.psf`,
 * `.wim`, `.esd`. Every type WUA, BITS and Delivery Optimization fetch is opaque bytes to them, so one type
 * keeps clients and caching proxies alike; the table makes the choice explicit and testable.
 */
const updateFileTypes: Readonly<Record<string, string>> = Object.freeze({
  cab: 'application/octet-stream',
  exe: 'application/octet-stream',
  msu: 'application/octet-stream',
  psf: 'application/octet-stream',
  wim: 'application/octet-stream',
  esd: 'application/octet-stream',
  msi: 'application/octet-stream',
  msp: 'application/octet-stream',
  dll: 'application/octet-stream',
});

/** The type for an extension (any case); unknown extensions are served as opaque bytes too. */
export function contentTypeFor(extension: string): string {
  return updateFileTypes[extension.toLowerCase()] ?? 'application/octet-stream';
}
