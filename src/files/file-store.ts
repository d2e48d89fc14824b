import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable, Transform } from 'node:stream';
import { Upload } from './upload.ts';

/** A stored file opened for reading, with its length as the file system has it (never the database's). */
export interface OpenedFile {
  size: number;
  /** The bytes `start`..`end` (inclusive; the whole file unless a range was asked for). */
  stream: Readable;
  start: number;
  /** start - 1 when no byte is read (an empty file, an unsatisfiable range). */
  end: number;
}

/** Picks the bytes to read once the opened file's size is known (a Range request); null reads all. */
export type RangeChooser = (size: number) => { start: number; end: number } | null;

/** The bytes a chooser picks of a file of `size` bytes, kept inside the file (end = start - 1: none). */
export function chooseRange(size: number, range?: RangeChooser): { start: number; end: number } {
  const picked = range?.(size) ?? { start: 0, end: size - 1 };
  const start = Math.max(0, Math.min(picked.start, size));
  const end = Math.min(picked.end, size - 1);
  return { start, end: end < start ? start - 1 : end };
}

/** A stored file's length and the range asked of it, from the store's metadata: nothing is opened (a HEAD answer). */
export async function measured(files: FileStore, key: string, range?: RangeChooser): Promise<{ size: number; start: number; end: number; stream?: undefined } | null> {
  const st = await files.stat(key);
  return st ? { size: st.size, ...chooseRange(st.size, range) } : null;
}

/** One entry of a store listing, for the sweep. */
export interface StoreEntry {
  key: string;
  /** Still under its temporary name: no committed row has been seen to refer to it. */
  temp: boolean;
  /** The process that wrote a temporary file (0 when unknown). */
  pid: number;
  /** Whether that process ran on this machine (a pid says nothing about another machine's processes). */
  thisHost: boolean;
  mtimeMs: number;
}

/**
 * Where uploaded resource files live. Local disk now; an object store implements the same calls.
 * An upload is written under a temporary name and becomes a stored file only when `commit` is
 * called after the transaction that refers to it has committed; a crash in between leaves a
 * temporary file that the start-up sweep removes (or promotes, if a committed row refers to it).
 */
export interface FileStore {
  put(source: Readable, maxBytes: number, filename: string): Promise<Upload>;
  commit(key: string): Promise<void>;
  /** Removes a temporary file (an upload no committed row refers to). */
  discard(key: string): Promise<void>;
  read(key: string, range?: RangeChooser): Promise<OpenedFile | null>;
  /** The bytes of an upload not yet committed (an action that reads a file and keeps none of it). */
  readPending(key: string, maxBytes: number): Promise<Buffer>;
  exists(key: string): Promise<boolean>;
  /** The stored file's length from the store's metadata, without opening it (a HEAD answer); null when absent. */
  stat(key: string): Promise<{ size: number } | null>;
  /** Removes a stored file; only the lifecycle (`src/files/lifecycle.ts`) calls it, after checking no row refers to it. */
  remove(key: string): Promise<void>;
  list(): AsyncIterable<StoreEntry>;
}

export class FileTooLargeError extends Error {
  readonly limit: number;
  constructor(limit: number) {
    super(`File is larger than the limit of ${limit} bytes`);
    this.limit = limit;
  }
}

const KEY = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
// <key>.<pid>.<host tag>.part; names from before the host tag (<key>.<pid>.part) were this machine's.
const TEMP = /^([0-9a-f-]{36})\.(\d+)(?:\.([0-9a-f]{8}))?\.part$/;
/** Names the machine in temporary names, for app servers sharing one file directory. */
export const HOST_TAG = crypto.createHash('sha256').update(os.hostname()).digest('hex').slice(0, 8);

export class LocalFileStore implements FileStore {
  readonly root: string;
  private readonly tmp: string;
  constructor(root: string) {
    this.root = root;
    this.tmp = path.join(root, 'tmp');
    fs.mkdirSync(this.tmp, { recursive: true });
  }

  private pathOf(key: string): string {
    if (!KEY.test(key)) throw new Error('Invalid file key');
    return path.join(this.root, key.slice(0, 2), key);
  }

  /** The writer's pid in the name lets the sweep tell a dead writer's leftovers from a live upload. */
  private tempOf(key: string, pid = process.pid): string {
    if (!KEY.test(key)) throw new Error('Invalid file key');
    return path.join(this.tmp, `${key}.${pid}.${HOST_TAG}.part`);
  }

  async put(source: Readable, maxBytes: number, filename: string): Promise<Upload> {
    const key = crypto.randomUUID();
    const target = this.tempOf(key);
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
      // Multipart parsers flag truncation instead of failing the stream.
      if ((source as Readable & { truncated?: boolean }).truncated) throw new FileTooLargeError(maxBytes);
    } catch (e) {
      await fs.promises.rm(target, { force: true });
      throw e;
    }
    return Upload.mint(this, key, size, hash.digest('hex'), filename);
  }

  async commit(key: string): Promise<void> {
    const final = this.pathOf(key);
    const own = this.tempOf(key);
    await fs.promises.mkdir(path.dirname(final), { recursive: true });
    try {
      const fd = await fs.promises.open(own, 'r');
      await fd.sync().finally(() => fd.close());
      await fs.promises.rename(own, final);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      // Written by another (dead) process, or already committed by the sweep.
      const other = (await fs.promises.readdir(this.tmp)).find((n) => n.startsWith(`${key}.`));
      if (other) await fs.promises.rename(path.join(this.tmp, other), final);
      else if (!(await this.exists(key))) throw e;
    }
  }

  async discard(key: string): Promise<void> {
    if (!KEY.test(key)) return;
    for (const n of await fs.promises.readdir(this.tmp)) if (n.startsWith(`${key}.`)) await fs.promises.rm(path.join(this.tmp, n), { force: true });
  }

  async readPending(key: string, maxBytes: number): Promise<Buffer> {
    const st = await fs.promises.stat(this.tempOf(key));
    if (st.size > maxBytes) throw new FileTooLargeError(maxBytes);
    return fs.promises.readFile(this.tempOf(key));
  }

  async read(key: string, range?: RangeChooser): Promise<OpenedFile | null> {
    let fd: fs.promises.FileHandle;
    try {
      fd = await fs.promises.open(this.pathOf(key), 'r');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
    try {
      const { size } = await fd.stat();
      // Exactly the bytes of the descriptor that was measured: the length header can never be wrong.
      const { start, end } = chooseRange(size, range);
      if (end < start) {
        await fd.close();
        return { size, stream: Readable.from([]), start, end };
      }
      return { size, stream: fd.createReadStream({ start, end, autoClose: true }), start, end };
    } catch (e) {
      await fd.close();
      throw e;
    }
  }

  async exists(key: string): Promise<boolean> {
    try {
      await fs.promises.access(this.pathOf(key));
      return true;
    } catch {
      return false;
    }
  }

  async stat(key: string): Promise<{ size: number } | null> {
    try {
      const st = await fs.promises.stat(this.pathOf(key));
      return st.isFile() ? { size: st.size } : null;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
  }

  async remove(key: string): Promise<void> {
    await fs.promises.rm(this.pathOf(key), { force: true });
  }

  async *list(): AsyncIterable<StoreEntry> {
    for (const dir of await fs.promises.readdir(this.root, { withFileTypes: true })) {
      if (!dir.isDirectory()) continue;
      const temp = dir.name === 'tmp';
      if (!temp && !/^[0-9a-f]{2}$/.test(dir.name)) continue;
      const full = path.join(this.root, dir.name);
      for (const name of await fs.promises.readdir(full)) {
        const m = temp ? TEMP.exec(name) : KEY.test(name) ? [name, name, '0'] : null;
        if (!m || !KEY.test(m[1]!)) continue;
        const st = await fs.promises.stat(path.join(full, name)).catch(() => null);
        if (st) yield { key: m[1]!, temp, pid: Number(m[2]), thisHost: !m[3] || m[3] === HOST_TAG, mtimeMs: st.mtimeMs };
      }
    }
  }
}
