import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import {
  digestName,
  invalidBundle,
  manifestName,
  maxManifestBytes,
  parseManifest,
} from './bundle-manifest.js';
import type { BundleManifest } from './bundle-manifest.js';

/** The manifest of a finished bundle folder, checked against its digest file (PB_ERR_BUNDLE_INVALID). */
export async function readBundleManifest(dir: string): Promise<BundleManifest & { manifestSha256: string }> {
  const path = join(dir, manifestName);
  const s = await stat(path).catch(() => undefined);
  if (s === undefined)
    throw invalidBundle(dir, `no ${manifestName} (an export that did not finish, or not a bundle folder)`);
  if (!s.isFile() || s.size > maxManifestBytes) throw invalidBundle(dir, `${manifestName} is not a manifest`);
  const text = await readFile(path);
  const digest = await readFile(join(dir, digestName), 'utf8').catch(() => undefined);
  if (digest === undefined) throw invalidBundle(dir, `no ${digestName}`);
  const m = parseManifest(text, digest.slice(0, 1024), dir);
  return { ...m, manifestSha256: digest.slice(0, 64) };
}
