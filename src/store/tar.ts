import crypto from 'node:crypto';
import fs from 'node:fs';
import { Readable } from 'node:stream';

/**
 * Just enough of the POSIX ustar format for backups: regular files, names of at most 100 bytes,
 * sizes under 8 GiB. A backup is then readable with any `tar tf` / `tar xf`.
 */
const BLOCK = 512;

function header(name: string, size: number, mtime: Date): Buffer {
  const b = Buffer.alloc(BLOCK);
  if (Buffer.byteLength(name) > 100) throw new Error(`tar: name too long: ${name}`);
  if (size >= 8 ** 11) throw new Error(`tar: ${name} is too large`);
  b.write(name, 0, 100, 'utf8');
  b.write('0000644\0', 100, 'ascii');
  b.write('0000000\0', 108, 'ascii');
  b.write('0000000\0', 116, 'ascii');
  b.write(`${size.toString(8).padStart(11, '0')}\0`, 124, 'ascii');
  b.write(`${Math.floor(mtime.getTime() / 1000).toString(8).padStart(11, '0')}\0`, 136, 'ascii');
  b.write('        ', 148, 'ascii');
  b.write('0', 156, 'ascii');
  b.write('ustar\0', 257, 'ascii');
  b.write('00', 263, 'ascii');
  let sum = 0;
  for (const byte of b) sum += byte;
  b.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  return b;
}

export class TarWriter {
  private readonly fd: number;
  constructor(file: string) {
    // Owner-only: a backup holds password hashes and 2FA secrets, as the database does.
    this.fd = fs.openSync(file, 'wx', 0o600);
  }

  /** Appends a file from disk and returns its size and SHA-256 (it must not change while it is copied). */
  async addFile(name: string, source: string): Promise<{ size: number; sha256: string }> {
    const size = fs.statSync(source).size;
    fs.writeSync(this.fd, header(name, size, new Date()));
    const hash = crypto.createHash('sha256');
    let written = 0;
    for await (const c of fs.createReadStream(source) as AsyncIterable<Buffer>) {
      if (written + c.length > size) throw new Error(`tar: ${source} changed while it was copied`);
      fs.writeSync(this.fd, c);
      hash.update(c);
      written += c.length;
    }
    if (written !== size) throw new Error(`tar: ${source} changed while it was copied`);
    this.pad(size);
    return { size, sha256: hash.digest('hex') };
  }

  addBuffer(name: string, data: Buffer): void {
    fs.writeSync(this.fd, header(name, data.length, new Date()));
    fs.writeSync(this.fd, data);
    this.pad(data.length);
  }

  private pad(size: number): void {
    const rest = size % BLOCK;
    if (rest) fs.writeSync(this.fd, Buffer.alloc(BLOCK - rest));
  }

  /** Two empty blocks end the archive; the data is flushed to disk before the file is closed. */
  close(): void {
    fs.writeSync(this.fd, Buffer.alloc(BLOCK * 2));
    fs.fsyncSync(this.fd);
    fs.closeSync(this.fd);
  }
}

export interface TarEntry {
  name: string;
  size: number;
  /** Offset of the entry's data in the archive. */
  offset: number;
}

/** Lists an archive's entries (reads only the headers). */
export function readTarIndex(file: string): Map<string, TarEntry> {
  const fd = fs.openSync(file, 'r');
  try {
    const total = fs.fstatSync(fd).size;
    const entries = new Map<string, TarEntry>();
    const b = Buffer.alloc(BLOCK);
    let pos = 0;
    while (pos + BLOCK <= total) {
      fs.readSync(fd, b, 0, BLOCK, pos);
      if (b.every((x) => x === 0)) break;
      let sum = 0;
      for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : b[i]!;
      if (sum !== parseInt(b.toString('ascii', 148, 156).replace(/\0.*$/, '').trim(), 8)) throw new Error(`not a banchi backup (bad tar header at byte ${pos})`);
      const name = b.toString('utf8', 0, 100).replace(/\0.*$/s, '');
      const size = parseInt(b.toString('ascii', 124, 136).replace(/\0.*$/, '').trim(), 8);
      const offset = pos + BLOCK;
      if (offset + size > total) throw new Error(`the backup is truncated (${name})`);
      entries.set(name, { name, size, offset });
      pos = offset + Math.ceil(size / BLOCK) * BLOCK;
    }
    return entries;
  } finally {
    fs.closeSync(fd);
  }
}

export function openTarEntry(file: string, e: TarEntry): Readable {
  return e.size === 0 ? Readable.from([]) : fs.createReadStream(file, { start: e.offset, end: e.offset + e.size - 1 });
}
