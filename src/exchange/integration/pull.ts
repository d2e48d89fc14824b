import fs from 'node:fs';
import net from 'node:net';
import { spawn } from 'node:child_process';
import readline from 'node:readline';
import { once } from 'node:events';
import pg from 'pg';
import { decodeUriComponentSafe } from '../../util/uri.ts';
import { sourceHostsJudge } from '../../util/source-hosts.ts';
import { bareHost, judgedAddresses, outboundFetch, OutboundError } from '../../util/outbound.ts';

/**
 * Data integration (seed 004's "Data Integration", seed 003's connectors to legacy systems): a
 * pull writes the source's rows to a CSV file, streamed (never the whole result in memory), and
 * the DataStore loader then loads that file as it loads an upload (types, COPY, atomic swap).
 * Database pulls run ONE read-only SELECT inside a READ ONLY transaction with a statement
 * time-out; MariaDB/MySQL is reached through the `mariadb`/`mysql` client program, the password
 * passed in its environment, never on the command line.
 */
export type PullKind = 'postgresql' | 'mariadb' | 'csv_url' | 'json_url';
export const PULL_KINDS: PullKind[] = ['postgresql', 'mariadb', 'csv_url', 'json_url'];
export const STATEMENT_TIMEOUT_S = 120;
/** A whole pull (all of a query's fetches, all of an answer's body). */
export const MAX_PULL_S = 3600;
const MAX_JSON_BYTES = 64 * 1024 * 1024;
const MAX_FILE_BYTES = 2 * 1024 * 1024 * 1024;

export class PullError extends Error {}

/**
 * What a SELECT can still do in a READ ONLY transaction: MariaDB's INTO OUTFILE / DUMPFILE / @var
 * writes a file on the database's host or a variable, and its locking reads lock rows there;
 * PostgreSQL's server-file, large-object, signal, advisory-lock, dblink and query-in-a-string
 * functions (query_to_xml, ts_stat) act outside the transaction. Matched on the whole text, string
 * literals included (the two servers quote differently, and a word hidden in what one of them reads
 * as a literal must not pass), so such a word in a literal is refused too. A source's own read-only
 * account stays the real guard; this refuses what no pull needs.
 */
const NOT_IN_A_PULL = [
  /\binto\b/i,
  /\bfor\s+(update|share|no\s+key|key\s+share)\b/i,
  /\block\s+in\b/i,
  /\b(load_file|get_lock|release_lock|release_all_locks|master_pos_wait|master_gtid_wait|sys_exec|sys_eval)\b/i,
  /\b(lo_\w+|pg_ls_\w+|pg_read_\w+|pg_file_\w+|pg_stat_file|pg_terminate_backend|pg_cancel_backend|pg_reload_conf|pg_rotate_logfile|pg_\w*advisory\w*|pg_notify|pg_switch_wal|pg_create_restore_point|pg_promote|pg_stat_reset\w*|pg_log_backend_memory_contexts|dblink\w*|query_to_xml\w*|cursor_to_xml\w*|ts_stat)\b/i,
];

/** One SELECT (or WITH … SELECT), no statement separator, no comments that could hide a second one, nothing of NOT_IN_A_PULL. */
export function checkQuery(q: unknown): string | null {
  if (typeof q !== 'string') return null;
  const s = q.trim().replace(/;\s*$/, '');
  if (!s || s.length > 20000 || !/^(select|with)\b/i.test(s) || /;|--|\/\*|#/.test(s)) return null;
  if (NOT_IN_A_PULL.some((re) => re.test(s))) return null;
  return s;
}

function cell(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = v instanceof Date ? v.toISOString() : typeof v === 'object' ? (Buffer.isBuffer(v) ? v.toString('base64') : JSON.stringify(v)) : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
const line = (vals: unknown[]) => vals.map(cell).join(',') + '\n';

/** The pull's file, with its size limit: a query or an answer without end stops there instead of filling the disk. */
class Sink {
  bytes = 0;
  readonly out: fs.WriteStream;
  readonly max: number;
  failed: Error | null = null;
  constructor(out: fs.WriteStream, max: number) {
    this.out = out;
    this.max = max;
    // A write that fails (disk full, or one still in flight when a failed pull destroys the file) is this pull's error, never an uncaught one.
    out.on('error', (e) => { this.failed ??= e; });
  }
  async write(s: string | Uint8Array): Promise<void> {
    if (this.failed) throw new PullError(`could not write the pulled data: ${this.failed.message}`);
    this.bytes += typeof s === 'string' ? Buffer.byteLength(s) : s.byteLength;
    if (this.bytes > this.max) throw new PullError(`the pulled data is larger than ${Math.round(this.max / 1048576)} MB (${this.max} bytes)`);
    if (!this.out.write(s)) await once(this.out, 'drain');
  }
}

async function close(out: fs.WriteStream): Promise<void> {
  await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())));
}

/** Parameters of a postgresql:// address a pull may carry; any other is refused (see postgresTarget). */
const PG_PARAMS = new Set(['sslmode', 'application_name', 'connect_timeout']);

/**
 * The TCP server a postgresql:// pull connects to, read here and nowhere else (the caller's text):
 * a host name or address, never a Unix socket (host=/var/run/postgresql, %2F… — peer authentication
 * as this server's own OS user, i.e. its own database), no parameter that reads files on this
 * server (sslcert, sslkey, sslrootcert) or overrides the host, and the password only the address's
 * own (never PGPASSWORD or ~/.pgpass of this server). As MariaDB pulls are --protocol=TCP.
 */
export function postgresTarget(dsn: string): pg.ClientConfig | string {
  let u: URL;
  try {
    u = new URL(dsn);
  } catch {
    return 'the connection is postgresql://user:password@host:port/database';
  }
  if (!/^postgres(ql)?:$/i.test(u.protocol)) return 'the connection is postgresql://user:password@host:port/database';
  const host = u.hostname.replace(/^\[(.+)\]$/, '$1');
  if (!host || host.includes('%') || host.startsWith('/')) return 'the connection names a TCP host (not a socket)';
  for (const k of u.searchParams.keys()) if (!PG_PARAMS.has(k)) return `the connection parameter ${k.slice(0, 40)} is not accepted (only ${[...PG_PARAMS].join(', ')})`;
  const [user, database, password] = [u.username, u.pathname.replace(/^\//, ''), u.password].map(decodeUriComponentSafe);
  if (user === undefined || database === undefined || password === undefined) return 'the connection address has a malformed %-escape';
  const mode = u.searchParams.get('sslmode');
  const timeout = Number(u.searchParams.get('connect_timeout') ?? '15');
  return {
    host, port: u.port ? Number(u.port) : 5432, user, database: database || user,
    // A function, so an empty password stays empty instead of falling back to this server's PGPASSWORD / ~/.pgpass.
    password: () => password,
    // As pg reads sslmode: disable is none, no-verify unchecked, any other mode a verified TLS connection.
    ssl: !mode || mode === 'disable' ? undefined : mode === 'no-verify' ? { rejectUnauthorized: false } : {},
    application_name: u.searchParams.get('application_name')?.slice(0, 60) || 'banchi-pull',
    connectionTimeoutMillis: Number.isFinite(timeout) && timeout > 0 ? Math.min(timeout, 60) * 1000 : 15_000,
  };
}

/**
 * Every value as PostgreSQL writes it (as COPY or psql would): the driver's own parsing makes a date
 * a JS Date at this server's local midnight (2026-01-31 became 2026-01-30T17:00:00Z in Bangkok) and a
 * timestamp a UTC instant, so the loader read dates as timestamps on the wrong day.
 */
const AS_TEXT = { getTypeParser: () => (v: string) => v } as unknown as pg.CustomTypesConfig;

async function pullPostgres(dsn: string, query: string, out: Sink, times: PullTimes): Promise<number> {
  const started = Date.now();
  const target = postgresTarget(dsn);
  if (typeof target === 'string') throw new PullError(`PostgreSQL: ${target}`);
  const judged = await judgedAddresses(target.host!, sourceHostsJudge(times.hosts));
  if ('refused' in judged) throw new PullError(`PostgreSQL: ${judged.refused}`);
  // Connected to the address judged, not to the name resolved again (DNS rebinding); TLS still checks the name.
  const name = bareHost(target.host!);
  const client = new pg.Client({ ...target, host: judged.addresses[0], ssl: target.ssl && typeof target.ssl === 'object' && !net.isIP(name) ? { ...target.ssl, servername: name } : target.ssl });
  client.on('error', () => undefined);
  await client.connect();
  let n = 0;
  try {
    await client.query('BEGIN READ ONLY');
    await client.query(`SET LOCAL statement_timeout = ${STATEMENT_TIMEOUT_S * 1000}`);
    await client.query(`DECLARE banchi_pull NO SCROLL CURSOR FOR ${query}`);
    let header = false;
    for (;;) {
      // statement_timeout bounds each FETCH, not the cursor: each gets at most what is left of the whole pull's time.
      const left = times.maxMs - (Date.now() - started);
      if (left <= 0) throw new PullError(`the pull took longer than ${Math.round(times.maxMs / 1000)} s`);
      if (left < STATEMENT_TIMEOUT_S * 1000) await client.query(`SET LOCAL statement_timeout = ${Math.ceil(left)}`);
      let r: pg.QueryArrayResult;
      try {
        r = await client.query({ text: 'FETCH 5000 FROM banchi_pull', rowMode: 'array', types: AS_TEXT });
      } catch (e) {
        if (left < STATEMENT_TIMEOUT_S * 1000 && (e as { code?: string }).code === '57014') throw new PullError(`the pull took longer than ${Math.round(times.maxMs / 1000)} s`);
        throw e;
      }
      if (!header) {
        await out.write(line(r.fields.map((f) => f.name)));
        header = true;
      }
      if (!r.rows.length) break;
      for (const row of r.rows as unknown[][]) await out.write(line(row));
      n += r.rows.length;
    }
    await client.query('ROLLBACK');
  } catch (e) {
    if (e instanceof PullError) throw e;
    throw new PullError(`PostgreSQL: ${e instanceof Error ? e.message : String(e)}`);
  } finally {
    await client.end().catch(() => undefined);
  }
  return n;
}

/** mysql --batch escapes \t \n \\ and \0 and writes NULL for null. */
function unescapeBatch(v: string): string {
  if (v === 'NULL') return '';
  return v.replace(/\\(.)/g, (_m, c: string) => (c === 't' ? '\t' : c === 'n' ? '\n' : c === '0' ? '\0' : c));
}

async function pullMariadb(dsn: string, query: string, out: Sink, hosts: string): Promise<number> {
  let u: URL;
  try {
    u = new URL(dsn);
  } catch {
    throw new PullError('MariaDB: the connection is mysql://user:password@host:port/database');
  }
  const bin = fs.existsSync('/usr/bin/mariadb') ? '/usr/bin/mariadb' : 'mysql';
  const [user, db, password] = [u.username, u.pathname.replace(/^\//, ''), u.password].map(decodeUriComponentSafe);
  if (user === undefined || db === undefined || password === undefined) throw new PullError('MariaDB: the connection address has a malformed %-escape');
  const judged = await judgedAddresses(u.hostname, sourceHostsJudge(hosts));
  if ('refused' in judged) throw new PullError(`MariaDB: ${judged.refused}`);
  // --binary-mode: the client reads stdin as SQL only. Without it the client's own commands work
  // anywhere in a line (\! runs a shell command on this server, \. reads a file, \d changes the
  // delimiter so a second statement slips past checkQuery): the query is the caller's text.
  // --no-defaults (first, as the client requires): no option file of this server (/etc/mysql, ~/.my.cnf) adds settings to a pull.
  // --host is the address judged, not the name resolved again by the client (DNS rebinding); pulls use no TLS, so nothing checks the name.
  const args = ['--no-defaults', '--batch', '--binary-mode', '--protocol=TCP', `--host=${judged.addresses[0]}`, `--port=${u.port || '3306'}`, `--user=${user}`, '--default-character-set=utf8mb4', '--connect-timeout=15'];
  if (db) args.push(`--database=${db}`);
  const child = spawn(bin, args, { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', MYSQL_PWD: password }, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-2000)));
  child.stdin.end(`SET SESSION TRANSACTION READ ONLY;\nSTART TRANSACTION READ ONLY;\nSET STATEMENT max_statement_time=${STATEMENT_TIMEOUT_S} FOR ${query};\nROLLBACK;\n`);
  const exited = once(child, 'close') as Promise<[number | null]>;
  let n = -1;
  try {
    for await (const l of readline.createInterface({ input: child.stdout, crlfDelay: Infinity })) {
      await out.write(line(l.split('\t').map((v) => (n < 0 ? v : unescapeBatch(v)))));
      n++;
    }
  } catch (e) {
    child.kill('SIGKILL'); // the client would otherwise wait on a pipe nobody reads
    exited.catch(() => undefined);
    throw e;
  }
  const [code] = await exited;
  if (code !== 0) throw new PullError(`MariaDB: ${stderr.trim() || `client exited with ${code}`}`);
  return Math.max(0, n);
}

/** How long a pull may wait for the source's next bytes, and how long a whole pull may take. */
export interface PullTimes {
  idleMs: number;
  maxMs: number;
  /** BANCHI_SOURCE_HOSTS: the private hosts this pull may reach (none: public addresses only). */
  hosts: string;
}
const TIMES: PullTimes = { idleMs: STATEMENT_TIMEOUT_S * 1000, maxMs: MAX_PULL_S * 1000, hosts: '' };
const MAX_REDIRECTS = 5;

/**
 * An answer's body as it comes, bounded in time: a source silent for idleMs (no headers, or a body
 * that stalls) or a pull past maxMs is this pull's error. Not one time-out for the whole answer: a
 * large file from a slow server takes longer than any sensible wait for a silent one.
 */
async function* fetchBody(url: string, times: PullTimes, refuse: (contentType: string) => string | null = () => null): AsyncGenerator<Uint8Array> {
  const ctl = new AbortController();
  let why = '';
  const stop = (w: string) => () => ((why = w), ctl.abort());
  const whole = setTimeout(stop(`the pull took longer than ${Math.round(times.maxMs / 1000)} s`), times.maxMs);
  let idle = setTimeout(stop(`${url} sent nothing for ${Math.round(times.idleMs / 1000)} s`), times.idleMs);
  const fail = (e: unknown) => new PullError(why || `could not fetch ${url}: ${e instanceof Error ? e.message : String(e)}`);
  try {
    let current: URL;
    try {
      current = new URL(url);
    } catch {
      throw new PullError(`not a URL: ${url.slice(0, 200)}`);
    }
    // Each hop's host judged (BANCHI_SOURCE_HOSTS) and connected to as judged.
    let res: Response;
    try {
      res = await outboundFetch(current, { judge: sourceHostsJudge(times.hosts), maxRedirects: MAX_REDIRECTS, signal: ctl.signal });
    } catch (e) {
      if (!(e instanceof OutboundError)) throw fail(e);
      throw new PullError(e.kind === 'redirects' ? `${url} redirects more than ${MAX_REDIRECTS} times` : e.kind === 'bad_redirect' ? e.message : `could not fetch ${e.url}: ${e.message}`);
    }
    if (!res.ok || !res.body) {
      await res.body?.cancel().catch(() => undefined);
      throw new PullError(`${url} answered HTTP ${res.status}`);
    }
    const refused = refuse(res.headers.get('content-type') ?? '');
    if (refused) throw new PullError(refused);
    const reader = res.body.getReader();
    for (;;) {
      let r: Awaited<ReturnType<typeof reader.read>>;
      try {
        r = await reader.read();
      } catch (e) {
        throw fail(e);
      }
      if (r.done) return;
      clearTimeout(idle);
      idle = setTimeout(stop(`${url} sent nothing for ${Math.round(times.idleMs / 1000)} s`), times.idleMs);
      yield r.value;
    }
  } finally {
    clearTimeout(whole);
    clearTimeout(idle);
    // A pull given up (size limit, an error) closes the connection instead of leaving the body to arrive.
    if (!ctl.signal.aborted) ctl.abort();
  }
}

async function pullCsvUrl(url: string, out: Sink, times: PullTimes): Promise<number> {
  // A login or error page answered 200 (a session expired, a portal in front) would load as a table of HTML.
  for await (const chunk of fetchBody(url, times, (type) => (/^\s*text\/html\b/i.test(type) ? `${url} answered an HTML page, not CSV (a login or error page?)` : null))) await out.write(chunk);
  return -1; // the loader counts the rows
}

async function pullJsonUrl(url: string, recordsPath: string, out: Sink, times: PullTimes): Promise<number> {
  const parts: Uint8Array[] = [];
  let bytes = 0;
  for await (const chunk of fetchBody(url, times)) {
    bytes += chunk.byteLength;
    if (bytes > MAX_JSON_BYTES) throw new PullError('the JSON answer is larger than 64 MB; serve it as CSV');
    parts.push(chunk);
  }
  let json: unknown;
  try {
    json = JSON.parse(Buffer.concat(parts).toString('utf8'));
  } catch {
    throw new PullError('the answer is not JSON');
  }
  let records: unknown = json;
  for (const k of recordsPath ? recordsPath.split('.') : []) records = records && typeof records === 'object' && Object.hasOwn(records, k) ? (records as Record<string, unknown>)[k] : undefined;
  if (!Array.isArray(records) || records.some((r) => !r || typeof r !== 'object' || Array.isArray(r))) throw new PullError(`no list of records at "${recordsPath || '(top)'}"`);
  const keys: string[] = [];
  // Every record's keys (a key first met after the first records is a column too, never dropped).
  const seen = new Set<string>();
  for (const r of records) for (const k of Object.keys(r as object)) if (!seen.has(k)) (seen.add(k), keys.push(k));
  await out.write(line(keys));
  for (const r of records as Record<string, unknown>[]) await out.write(line(keys.map((k) => (Object.hasOwn(r, k) ? r[k] : null))));
  return records.length;
}

export interface PullSpec {
  kind: PullKind;
  /** URL of a CSV/JSON source, or (for databases) nothing: the connection string is the sealed secret. */
  url: string;
  query: string;
  records_path: string;
}

/**
 * Pulls into `file` (CSV), at most `maxBytes` of it; answers the rows written (-1: a CSV passed
 * through as it came). A database query is checked again here: a source stored before a check was
 * added runs only if it passes it now.
 */
export async function pullToFile(spec: PullSpec, secret: string | null, file: string, opts: { maxBytes?: number; sourceHosts?: string } & Partial<Omit<PullTimes, 'hosts'>> = {}): Promise<number> {
  const times: PullTimes = { idleMs: opts.idleMs ?? TIMES.idleMs, maxMs: opts.maxMs ?? TIMES.maxMs, hosts: opts.sourceHosts ?? TIMES.hosts };
  const query = spec.kind === 'postgresql' || spec.kind === 'mariadb' ? checkQuery(spec.query) : '';
  if (query === null) throw new PullError('the query is not one read-only SELECT (no ;, comments, INTO, locking reads or functions that act outside the query)');
  const file_ = fs.createWriteStream(file, { mode: 0o600 });
  const out = new Sink(file_, opts.maxBytes ?? MAX_FILE_BYTES);
  try {
    const n = spec.kind === 'postgresql' ? await pullPostgres(secret ?? '', query, out, times)
      : spec.kind === 'mariadb' ? await pullMariadb(secret ?? '', query, out, times.hosts)
      : spec.kind === 'csv_url' ? await pullCsvUrl(spec.url, out, times)
      : await pullJsonUrl(spec.url, spec.records_path, out, times);
    await close(file_);
    return n;
  } catch (e) {
    file_.destroy();
    throw e;
  }
}
