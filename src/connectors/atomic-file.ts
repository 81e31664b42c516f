/**
 * A file written atomically: into a temporary file next to the target, flushed to disk, then renamed over
 * the target, so a reader (an import tool polling the directory) sees the previous complete file or the
 * new complete file, never a half-written one. Writes are buffered (64 KiB) and awaited, which is the
 * backpressure that keeps a 50,000-computer document from piling up in memory.
 */
import { randomBytes } from 'node:crypto';
import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { AppError } from '../errors.js';

const bufferBytes = 64 * 1024;

export class AtomicFile {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private written = 0;
  private done = false;

  private constructor(
    readonly path: string,
    private readonly tempPath: string,
    private readonly handle: FileHandle,
  ) {}

  static async create(path: string): Promise<AtomicFile> {
    const tempPath = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
    try {
      const handle = await open(tempPath, 'wx', 0o640);
      return new AtomicFile(path, tempPath, handle);
    } catch (e) {
      throw new AppError('PB_ERR_FILESYSTEM', `cannot create ${tempPath}: ${(e as Error).message}`, {
        cause: e,
      });
    }
  }

  /** Bytes written so far (including the buffer). */
  get size(): number {
    return this.written + this.buffered;
  }

  async write(data: Buffer): Promise<void> {
    this.chunks.push(data);
    this.buffered += data.length;
    if (this.buffered >= bufferBytes) await this.flush();
  }

  private async flush(): Promise<void> {
    if (this.buffered === 0) return;
    const data = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.buffered);
    this.chunks = [];
    this.buffered = 0;
    try {
      await this.handle.write(data, 0, data.length);
    } catch (e) {
      throw new AppError('PB_ERR_FILESYSTEM', `cannot write ${this.tempPath}: ${(e as Error).message}`, {
        cause: e,
      });
    }
    this.written += data.length;
  }

  /** Flushes, syncs and renames over the target. */
  async commit(): Promise<void> {
    if (this.done) return;
    this.done = true;
    try {
      await this.flush();
      await this.handle.sync();
      await this.handle.close();
      await rename(this.tempPath, this.path);
    } catch (e) {
      await this.handle.close().catch(() => undefined);
      await unlink(this.tempPath).catch(() => undefined);
      throw e instanceof AppError
        ? e
        : new AppError('PB_ERR_FILESYSTEM', `cannot write ${this.path}: ${(e as Error).message}`, {
            cause: e,
          });
    }
  }

  /** Drops the temporary file; the target keeps its previous content. */
  async abort(): Promise<void> {
    if (this.done) return;
    this.done = true;
    await this.handle.close().catch(() => undefined);
    await unlink(this.tempPath).catch(() => undefined);
  }
}
