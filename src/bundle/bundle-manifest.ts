/**
 * The layout of an air-gap bundle (docs/operations.md "Air-gapped networks"):
 *
 *   manifest.json          identity, options, the entries and the chunks with their SHA-256; written last
 *   manifest.json.sha256   its SHA-256 in `sha256sum` form (carry it separately to check the bundle on arrival)
 *   chunks/chunk-NNNNNN.bin  one byte stream cut in chunks of `chunkSize` (the last one shorter)
 *   .export/               while an export runs: its plan, staged metadata and progress (gone when done)
 *
 * The stream holds the entries back to back: the update documents (JSON lines, as received from the
 * upstream), the deployments (groups, approvals, declines, EULAs), the rules, then the content files.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { AppError } from '../errors.js';

export const manifestName = 'manifest.json';
export const digestName = 'manifest.json.sha256';
export const chunkFolder = 'chunks';
export const stagingFolder = '.export';
export const bundleFormat = 'patchbay-bundle';
export const bundleFormatVersion = 1;
export const maxManifestBytes = 64 * 1024 * 1024;
export const defaultChunkBytes = 64 * 1024 * 1024;
// The range `[bundle] chunk_size` allows (src/config/schema.ts): a chunk per 256 KiB at least, 4 GiB at most.
export const minChunkBytes = 256 * 1024;
export const maxChunkBytes = 4 * 1024 * 1024 * 1024;

const hex = (n: number) => z.string().regex(new RegExp(`^[0-9a-f]{${n}}$`));
const uuid = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
const count = z.number().int().nonnegative();
const span = z.object({ offset: count, size: count, sha256: hex(64) });

export const contentModes = ['approved', 'all', 'none'] as const;

const manifestSchema = z.object({
  format: z.literal(bundleFormat),
  formatVersion: z.literal(bundleFormatVersion),
  exportId: uuid,
  sourceServerId: z.string().min(1).max(64),
  sequence: z.number().int().positive(),
  sinceExportId: uuid.nullable(),
  createdAt: z.string().max(64),
  patchbayVersion: z.string().max(64),
  contentMode: z.enum(contentModes),
  includes: z.object({
    approvals: z.boolean(),
    declines: z.boolean(),
    groups: z.boolean(),
    rules: z.boolean(),
  }),
  chunkSize: z.number().int().min(minChunkBytes).max(maxChunkBytes),
  totalBytes: count,
  chunks: z.array(z.object({ size: count, sha256: hex(64) })).max(1_000_000),
  documents: span.extend({ count }),
  deployments: span,
  rules: span,
  content: z.array(z.object({ sha1: hex(40), sha256: hex(64), size: count, offset: count })).max(10_000_000),
  /** Files the content mode covers that the exporting server did not hold: not in the bundle. */
  contentMissing: count,
});

export type BundleManifest = z.infer<typeof manifestSchema>;

export function chunkName(index: number): string {
  return `chunk-${String(index + 1).padStart(6, '0')}.bin`;
}

export function invalidBundle(where: string, why: string): AppError {
  return new AppError('PB_ERR_BUNDLE_INVALID', `${where} is not a usable bundle: ${why}`);
}

export function sha256Hex(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * A manifest checked against its digest file and schema, and its chunks against the stream they cut: every
 * chunk but the last exactly `chunkSize`, the sizes adding up to `totalBytes`, every entry inside it.
 */
export function parseManifest(text: Buffer, digestText: string, where: string): BundleManifest {
  const want = /^([0-9a-f]{64})\s/.exec(digestText)?.[1];
  if (want === undefined) throw invalidBundle(where, `${digestName} holds no SHA-256`);
  if (sha256Hex(text) !== want)
    throw invalidBundle(where, `${manifestName} does not match ${digestName} (changed or damaged)`);
  let raw: unknown;
  try {
    raw = JSON.parse(text.toString('utf8'));
  } catch (e) {
    throw invalidBundle(where, `${manifestName} is not JSON (${(e as Error).message})`);
  }
  const r = manifestSchema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw invalidBundle(where, `${manifestName}: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  const m = r.data;
  let total = 0;
  m.chunks.forEach((c, i) => {
    if (i < m.chunks.length - 1 ? c.size !== m.chunkSize : c.size === 0 || c.size > m.chunkSize)
      throw invalidBundle(where, `chunk ${i + 1} has a size that does not fit the chunk size`);
    total += c.size;
  });
  if (total !== m.totalBytes) throw invalidBundle(where, 'the chunks do not add up to the stream size');
  for (const e of [m.documents, m.deployments, m.rules, ...m.content])
    if (e.offset + e.size > m.totalBytes) throw invalidBundle(where, 'an entry lies outside the chunks');
  return m;
}
