/**
 * The filesystem calls of the filesystem content store in the callback API (no FileHandle promise per
 * call on the hot read path), and the directory fsync that makes a rename durable.
 */
import { close as fsClose, fstat as fsFstat, lstat as fsLstat, open as fsOpen, type Stats } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';

export function isErrno(e: unknown, code: string): boolean {
  return typeof e === 'object' && e !== null && (e as { code?: unknown }).code === code;
}

export function openFd(path: string, flags: number): Promise<number> {
  return new Promise((resolve, reject) => {
    fsOpen(path, flags, (err, fd) => (err === null ? resolve(fd) : reject(err)));
  });
}

export function lstatPath(path: string): Promise<Stats> {
  return new Promise((resolve, reject) => {
    fsLstat(path, (err, st) => (err === null ? resolve(st) : reject(err)));
  });
}

export function fstatFd(fd: number): Promise<Stats> {
  return new Promise((resolve, reject) => {
    fsFstat(fd, (err, st) => (err === null ? resolve(st) : reject(err)));
  });
}

export function closeFd(fd: number): Promise<void> {
  return new Promise((resolve, reject) => {
    fsClose(fd, (err) => (err === null ? resolve() : reject(err)));
  });
}

/** fsync a directory so a rename into it survives a crash (no-op where directories cannot be opened). */
export async function syncDir(dir: string): Promise<void> {
  let h: FileHandle | undefined;
  try {
    h = await open(dir, 'r');
    await h.sync();
  } catch {
    // Some platforms refuse fsync on directories; the rename itself is still atomic.
  } finally {
    await h?.close().catch(() => undefined);
  }
}
