import type { ContentStore, VerifyOutcome } from './content-store.js';
import { FsContentStore } from './fs-content-store.js';

/** The part of the configuration that chooses and places the content store (structural: no config import). */
export interface ContentStoreConfig {
  readonly content: { readonly dir: string };
}

export interface OpenContentStoreOptions {
  /**
   * Told about a stored object that a re-verification found bad and took out of service (the server marks
   * the file failed so it is fetched again).
   */
  readonly onBadObject?: (outcome: VerifyOutcome) => void;
}

/**
 * The one place that turns configuration into a content store: the server, the CLI and the jobs all open
 * it here and see only the `ContentStore` port, so a second implementation (S3-compatible) is a branch in
 * this function, not an edit in every caller.
 */
export async function openContentStore(
  config: ContentStoreConfig,
  options: OpenContentStoreOptions = {},
): Promise<ContentStore> {
  return FsContentStore.open(config.content.dir, { onBadObject: options.onBadObject });
}
