/**
 * Writes one group's document for one run: the upload file (the format sent to the target) plus any extra
 * file outputs, each atomically. While writing the upload file it records where each upload part begins
 * (parts end on record boundaries and hold at most `partSize` bytes), the byte count and the SHA-256 of the
 * whole document, so the upload can stream the file part by part afterwards.
 */
import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError } from '../errors.js';
import { AtomicFile } from './atomic-file.js';
import {
  createEncoder,
  type ConnectorRecord,
  type DocumentFormat,
  type RecordEncoder,
} from './record-encoders.js';
import type { RecordCounts } from './wire-contract.js';

export interface WrittenDocument {
  /** The upload file. */
  path: string;
  format: DocumentFormat;
  bytes: number;
  sha256: string;
  /** Byte offset where each part starts; part i spans [offsets[i], offsets[i+1] or bytes). */
  partOffsets: number[];
  records: RecordCounts;
  /** Every file written (upload file first). */
  files: string[];
}

interface Output {
  encoder: RecordEncoder;
  file: AtomicFile;
}

export class DocumentWriter {
  private readonly hash = createHash('sha256');
  private readonly partOffsets: number[] = [];
  private partStart = 0;
  private bytes = 0;
  private readonly records: RecordCounts = { updates: 0, computers: 0, statuses: 0 };

  private constructor(
    private readonly upload: Output,
    private readonly extra: Output[],
    private readonly partSize: number,
  ) {}

  static async open(options: {
    dir: string;
    baseName: string;
    uploadFormat: 'jsonl' | 'csv';
    extraFormats: readonly DocumentFormat[];
    partSize: number;
  }): Promise<DocumentWriter> {
    try {
      await mkdir(options.dir, { recursive: true, mode: 0o750 });
    } catch (e) {
      throw new AppError('PB_ERR_FILESYSTEM', `cannot create ${options.dir}: ${(e as Error).message}`, {
        cause: e,
      });
    }
    const outputs: Output[] = [];
    try {
      for (const format of [
        options.uploadFormat,
        ...options.extraFormats.filter((f) => f !== options.uploadFormat),
      ]) {
        const encoder = createEncoder(format);
        outputs.push({
          encoder,
          file: await AtomicFile.create(join(options.dir, `${options.baseName}.${encoder.extension}`)),
        });
      }
    } catch (e) {
      for (const o of outputs) await o.file.abort();
      throw e;
    }
    const writer = new DocumentWriter(outputs[0]!, outputs.slice(1), options.partSize);
    await writer.writeText(
      writer.upload.encoder.header(),
      writer.extra.map((o) => o.encoder.header()),
    );
    return writer;
  }

  async write(record: ConnectorRecord): Promise<void> {
    if (record.type === 'update') this.records.updates++;
    else if (record.type === 'computer') this.records.computers++;
    else this.records.statuses++;
    await this.writeText(
      this.upload.encoder.record(record),
      this.extra.map((o) => o.encoder.record(record)),
    );
  }

  private async writeText(uploadText: string, extraTexts: string[]): Promise<void> {
    if (uploadText !== '') {
      const buf = Buffer.from(uploadText, 'utf8');
      // A new part starts when this record would overflow the current one (a part is never empty).
      if (this.partOffsets.length === 0) this.partOffsets.push(0);
      else if (this.bytes - this.partStart + buf.length > this.partSize && this.bytes > this.partStart) {
        this.partStart = this.bytes;
        this.partOffsets.push(this.bytes);
      }
      this.hash.update(buf);
      this.bytes += buf.length;
      await this.upload.file.write(buf);
    }
    for (let i = 0; i < this.extra.length; i++) {
      const t = extraTexts[i];
      if (t !== undefined && t !== '') await this.extra[i]!.file.write(Buffer.from(t, 'utf8'));
    }
  }

  async commit(): Promise<WrittenDocument> {
    await this.writeText(
      this.upload.encoder.footer(),
      this.extra.map((o) => o.encoder.footer()),
    );
    for (const o of [this.upload, ...this.extra]) await o.file.commit();
    return {
      path: this.upload.file.path,
      format: this.upload.encoder.format,
      bytes: this.bytes,
      sha256: this.hash.digest('hex'),
      partOffsets: this.bytes === 0 ? [] : [...this.partOffsets],
      records: { ...this.records },
      files: [this.upload.file.path, ...this.extra.map((o) => o.file.path)],
    };
  }

  async abort(): Promise<void> {
    for (const o of [this.upload, ...this.extra]) await o.file.abort();
  }
}
