/**
 * `[content] express`, WSUS's "Download express installation files": which files of an update the server
 * downloads and holds, by the documents' `File/@PatchingType` (docs/protocol/update-xml.md "Express and PSF
 * files"). The values and their meaning come from the specifications only (UNVERIFIED, no capture has one):
 * - absent or `SelfContained`: the full file; always needed.
 * - `Express` and `PSF`: express-installation files (a delta payload and the patch storage file it reads);
 *   the client takes them instead of the full file when the server holds them.
 * With express off, an express-kind file is left out when its revision also names a full file (the client
 * installs from that one); a revision that names express-kind files only keeps them all, since the update
 * cannot install otherwise. Unknown values count as full files: downloading a file too many is recoverable,
 * one missing is not.
 */
const expressKinds: ReadonlySet<string> = new Set(['express', 'psf']);

/** The file is an express-installation file (`PatchingType` Express or PSF, any case). */
export function isExpressFile(patchingType: string | null | undefined): boolean {
  return patchingType != null && expressKinds.has(patchingType.trim().toLowerCase());
}

/** The files of one revision the server downloads and waits for, in their order. */
export function filesToHold<T extends { readonly patchingType?: string | null | undefined }>(
  files: readonly T[],
  express: boolean,
): T[] {
  if (express) return [...files];
  const full = files.filter((f) => !isExpressFile(f.patchingType));
  return full.length > 0 ? full : [...files];
}
