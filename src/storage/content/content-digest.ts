import { createHash, type Hash } from 'node:crypto';

/**
 * SHA-1 and SHA-256 over one byte stream. WSUS addresses content by SHA-1 but SHA-1 alone is
 * collision-prone, so every object is also checked against the SHA-256 from the update metadata
 * (docs/protocol/client.md §1.9).
 */
export class DualDigest {
  readonly #sha1: Hash = createHash('sha1');
  readonly #sha256: Hash = createHash('sha256');
  #bytes = 0;

  update(chunk: Uint8Array): void {
    this.#sha1.update(chunk);
    this.#sha256.update(chunk);
    this.#bytes += chunk.length;
  }

  get bytes(): number {
    return this.#bytes;
  }

  digest(): { sha1: Buffer; sha256: Buffer; size: number } {
    return { sha1: this.#sha1.digest(), sha256: this.#sha256.digest(), size: this.#bytes };
  }
}
