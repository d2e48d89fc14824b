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
  /** A promise when the line filled a batch that was sent (await it: back-pressure), else nothing. */
  write(line: string): Promise<void> | undefined;
  end(): Promise<void>;
  /** Gives the COPY up (nothing it wrote stays); the session is usable again after it. */
  abort(): Promise<void>;
}

const BATCH_CHARS = 1 << 16;

/** PostgreSQL: COPY … FROM STDIN through pg-copy-streams, honouring back-pressure. */
export function pgCopy(client: pg.ClientBase, statement: string): CopySink {
  const stream = client.query(copyStreams.from(statement));
  let buf = '';
  let failed: Error | null = null;
  stream.on('error', (e: Error) => (failed = e));
  // One listener pair per wait, both removed when either fires (a race of two once() left one behind each time).
  const drained = () =>
    new Promise<void>((resolve, reject) => {
      const onDrain = () => (stream.off('error', onError), resolve());
      const onError = (e: Error) => (stream.off('drain', onDrain), reject(e));
      stream.once('drain', onDrain);
      stream.once('error', onError);
    });
  const flush = async () => {
    if (failed) throw failed;
    if (!buf) return;
    const ok = stream.write(buf);
    buf = '';
    if (!ok) await drained();
  };
  return {
    write(line) {
      buf += line;
      return buf.length >= BATCH_CHARS ? flush() : undefined;
    },
    async end() {
      await flush();
      const done = Promise.race([once(stream, 'finish'), once(stream, 'error').then(([e]) => Promise.reject(e))]);
      stream.end();
      await done;
      if (failed) throw failed;
    },
    async abort() {
      if (failed || stream.destroyed) return;
      // destroy() sends CopyFail; the server's error answer ends the COPY and frees the connection.
      const closed = once(stream, 'close').catch(() => undefined);
      stream.destroy(new Error('load restarted'));
      await closed;
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
    write(line) {
      parts.push(line);
      size += line.length;
      return size >= PGLITE_BATCH_CHARS ? flush() : undefined;
    },
    end: flush,
    async abort() {
      parts = [];
      size = 0;
    },
  };
}
