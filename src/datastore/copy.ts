import { once } from 'node:events';
import type { PGlite } from '@electric-sql/pglite';
import type pg from 'pg';
import copyStreams from 'pg-copy-streams';

/** COPY text format: backslash, tab, newline and carriage return escaped; \N is NULL. */
export function copyValue(v: string | null): string {
  if (v === null) return '\\N';
  return /[\\\t\n\r]/.test(v) ? v.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r')) : v;
}

/** Rows in COPY text format into one table, in bounded batches. */
export interface CopySink {
  write(line: string): Promise<void>;
  end(): Promise<void>;
}

const BATCH_CHARS = 1 << 16;

/** PostgreSQL: COPY … FROM STDIN through pg-copy-streams, honouring back-pressure. */
export function pgCopy(client: pg.ClientBase, statement: string): CopySink {
  const stream = client.query(copyStreams.from(statement));
  let buf = '';
  let failed: Error | null = null;
  stream.on('error', (e: Error) => (failed = e));
  const flush = async () => {
    if (failed) throw failed;
    if (!buf) return;
    const ok = stream.write(buf);
    buf = '';
    if (!ok) await Promise.race([once(stream, 'drain'), once(stream, 'error').then(([e]) => Promise.reject(e))]);
  };
  return {
    async write(line) {
      buf += line;
      if (buf.length >= BATCH_CHARS) await flush();
    },
    async end() {
      await flush();
      const done = Promise.race([once(stream, 'finish'), once(stream, 'error').then(([e]) => Promise.reject(e))]);
      stream.end();
      await done;
      if (failed) throw failed;
    },
  };
}

/** Characters per COPY FROM '/dev/blob' on PGlite: the batch is what is held in memory. */
const PGLITE_BATCH_CHARS = 4 << 20;

/** PGlite: COPY FROM '/dev/blob' with the `blob` query option, one bounded batch at a time. */
export function pgliteCopy(pglite: PGlite, statement: string): CopySink {
  let parts: string[] = [];
  let size = 0;
  const flush = async () => {
    if (!parts.length) return;
    const blob = new Blob(parts);
    parts = [];
    size = 0;
    await pglite.query(statement, [], { blob });
  };
  return {
    async write(line) {
      parts.push(line);
      size += line.length;
      if (size >= PGLITE_BATCH_CHARS) await flush();
    },
    end: flush,
  };
}
