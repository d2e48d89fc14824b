import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform, type Readable } from 'node:stream';

export interface StoredFile {
  key: string;
  size: number;
  sha256: string;
}

/** Where uploaded resource files live. Local disk now; an object store implements the same four calls. */
export interface FileStore {
  put(source: Readable, maxBytes: number): Promise<StoredFile>;
  open(key: string): Readable;
  exists(key: string): Promise<boolean>;
  remove(key: string): Promise<void>;
}

export class FileTooLargeError extends Error {
  readonly limit: number;
  constructor(limit: number) {
    super(`File is larger than the limit of ${limit} bytes`);
    this.limit = limit;
  }
}

export class LocalFileStore implements FileStore {
  readonly root: string;
  constructor(root: string) {
    this.root = root;
    fs.mkdirSync(root, { recursive: true });
  }

  private pathOf(key: string): string {
    if (!/^[0-9a-f-]{36}$/.test(key)) throw new Error('Invalid file key');
    return path.join(this.root, key.slice(0, 2), key);
  }

  async put(source: Readable, maxBytes: number): Promise<StoredFile> {
    const key = crypto.randomUUID();
    const target = this.pathOf(key);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    const hash = crypto.createHash('sha256');
    let size = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        size += chunk.length;
        if (size > maxBytes) return cb(new FileTooLargeError(maxBytes));
        hash.update(chunk);
        cb(null, chunk);
      },
    });
    try {
      await pipeline(source, meter, fs.createWriteStream(target, { flags: 'wx' }));
    } catch (e) {
      await fs.promises.rm(target, { force: true });
      throw e;
    }
    // Multipart parsers flag truncation instead of failing the stream.
    if ((source as Readable & { truncated?: boolean }).truncated) {
      await fs.promises.rm(target, { force: true });
      throw new FileTooLargeError(maxBytes);
    }
    return { key, size, sha256: hash.digest('hex') };
  }

  open(key: string): Readable {
    return fs.createReadStream(this.pathOf(key));
  }

  async exists(key: string): Promise<boolean> {
    try {
      await fs.promises.access(this.pathOf(key));
      return true;
    } catch {
      return false;
    }
  }

  async remove(key: string): Promise<void> {
    await fs.promises.rm(this.pathOf(key), { force: true });
  }
}
