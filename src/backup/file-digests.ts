import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';

/** SHA-1 and SHA-256 of a file, read in 1 MiB pieces (hex, lower case). */
export async function fileDigests(path: string): Promise<{ sha1: string; sha256: string; size: number }> {
  const sha1 = createHash('sha1');
  const sha256 = createHash('sha256');
  let size = 0;
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(1024 * 1024);
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      size += bytesRead;
      sha1.update(buf.subarray(0, bytesRead));
      sha256.update(buf.subarray(0, bytesRead));
    }
  } finally {
    await fh.close();
  }
  return { sha1: sha1.digest('hex'), sha256: sha256.digest('hex'), size };
}
