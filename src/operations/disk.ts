import { statfs } from 'node:fs/promises';
import { dirname } from 'node:path';

export interface DiskUsage {
  readonly path: string;
  readonly totalBytes: number;
  /** Bytes available to this (unprivileged) process, as `df` shows "Avail". */
  readonly freeBytes: number;
  readonly freePercent: number;
}

/**
 * Size and free space of the file system holding `path`; for a directory not created yet (before the first
 * `patchbay serve`) the file system it will be created on, its nearest existing parent.
 */
export async function diskUsage(path: string): Promise<DiskUsage> {
  let at = path;
  for (;;) {
    try {
      const s = await statfs(at);
      const totalBytes = s.blocks * s.bsize;
      const freeBytes = s.bavail * s.bsize;
      const freePercent = totalBytes === 0 ? 0 : Math.floor((freeBytes / totalBytes) * 1000) / 10;
      return { path, totalBytes, freeBytes, freePercent };
    } catch (e) {
      const parent = dirname(at);
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT' || parent === at) throw e;
      at = parent;
    }
  }
}
