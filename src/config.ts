import net from 'node:net';
import path from 'node:path';
import type { Msg } from './actions/errors.ts';
import { parseSourceHosts } from './util/source-hosts.ts';

/** Every setting banchi reads from the environment, checked once at boot. */
export interface Config {
  port: number;
  host: string;
  dataDir: string;
  /** postgres://… selects a PostgreSQL server; empty selects embedded PGlite in dataDir. */
  databaseUrl: string;
  /** BANCHI_PG_PREPARED_STATEMENTS=off: no named prepared statements (poolers without support for them). */
  pgPreparedStatements?: boolean;
  /** BANCHI_PG_POOL_SIZE: connections each process opens to a PostgreSQL server at most (default 10). */
  pgPoolSize?: number;
  siteUrl: string;
  siteTitle: string;
  maxUploadBytes: number;
  maxBodyBytes: number;
  /** BANCHI_DATASTORE_TIMEOUT_MS: longest a datastore_search statement may run on a PostgreSQL server (CKAN: "Query took too long"). */
  datastoreTimeoutMs?: number;
  /** Require TOTP two-factor for every user, not only sysadmins and organisation admins. */
  require2faForAll: boolean;
  sessionSecret: string;
  /** Longest lifetime of an API token in days (BANCHI_TOKEN_MAX_DAYS); tokens asking for more are refused. */
  tokenMaxDays: number;
  oidc: { issuer: string; clientId: string; clientSecret: string } | null;
  logLevel: string;
  /** smtp:// or smtps:// URL with credentials; empty keeps mail in the outbox (src/mail). */
  smtpUrl: string;
  mailFrom: string;
  /** CKAN's JSONP (`callback=` on GET): off unless BANCHI_JSONP=true, as it serves script from the site origin. */
  jsonp?: boolean;
  /** Ed25519 key signing audit checkpoints; empty: generated into dataDir (audit-ed25519.pem). */
  auditKeyFile: string;
  /** BANCHI_SITE_KIND: the catalog's role (issue 8). Harvest actions are available on every kind for now. */
  siteKind?: 'agency' | 'registry' | 'area' | 'open_data';
  /** BANCHI_HARVEST_STALE_SECONDS: a running harvest stage without a heartbeat this long is taken over. */
  harvestStaleSeconds?: number;
  /** BANCHI_JOB_LOCK_SECONDS: a running job whose worker has not renewed its lock this long is taken over. */
  jobLockSeconds?: number;
  /** BANCHI_OPEN_DATA_URL / _TOKEN / _ORG: the open-data portal (a CKAN site such as data.go.th) open datasets are pushed to. */
  openData?: { url: string; token: string; org: string } | null;
  /** BANCHI_EXCHANGE_KEY_FILE: Ed25519 key signing gateway answers; empty: generated into dataDir (exchange-ed25519.pem). */
  exchangeKeyFile?: string;
  /** BANCHI_TSA_URL: an RFC 3161 timestamp authority; when set, every gateway signature is time-stamped. */
  tsaUrl?: string;
  /** BANCHI_REGISTRY_URL / BANCHI_REGISTRY_TOKEN: the national registry an agency site registers with (issue 8, src/registry/client.ts). */
  registryUrl?: string;
  registryToken?: string;
  /** BANCHI_REGISTRY_STATE_TTL: seconds a dataset page may show the registry's state before asking again (0: every view asks). */
  registryStateTtlSeconds?: number;
  /** BANCHI_LINKCHECK_TIMEOUT_MS / _CONCURRENCY / _ALLOW_PRIVATE: the resource link checker (src/quality/); private addresses are refused unless allowed. */
  linkcheck?: { timeoutMs: number; concurrency: number; allowPrivate: boolean };
  /**
   * BANCHI_HARVEST_ALLOW_PRIVATE: harvest sources (URLs an organisation admin gives) may not reach
   * private, loopback or link-local addresses, redirects included, unless this is true (a catalog
   * on an internal network; tests).
   */
  harvestAllowPrivate?: boolean;
  /**
   * BANCHI_SOURCE_HOSTS: the hosts on private networks (names, *.suffixes, addresses, subnets) that
   * data-integration pulls and look-up connectors may reach; public addresses always (src/util/source-hosts.ts).
   */
  sourceHosts?: string;
  /**
   * BANCHI_TLS_CERT / BANCHI_TLS_KEY: PEM files the server listens with (HTTPS); BANCHI_TLS_CLIENT_CA: a PEM
   * bundle client certificates are checked against (asked for, never required: the gateway decides). Read in src/tls.ts.
   */
  tls?: { certFile: string; keyFile: string; clientCaFile: string } | null;
  /** BANCHI_TRUSTED_PROXIES: addresses whose client-certificate header (BANCHI_CLIENT_CERT_HEADER) the gateway believes. */
  trustedProxies?: string[];
  clientCertHeader?: string;
}

/** A setting that cannot be used: said in one line, in Thai and English (the CLI picks by locale). */
export class ConfigError extends Error {
  readonly msg: Msg;
  constructor(msg: Msg) {
    super(msg.en);
    this.msg = msg;
  }
}

function bad(th: string, en: string): ConfigError {
  return new ConfigError({ th, en });
}

function intSetting(env: NodeJS.ProcessEnv, key: string, fallback: number, min: number, max: number): number {
  const raw = env[key];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw bad(`${key} ต้องเป็นจำนวนเต็มตั้งแต่ ${min} ถึง ${max} แต่ได้ "${raw}"`, `${key} must be an integer between ${min} and ${max}, got "${raw}"`);
  return n;
}

const SITE_KINDS = ['agency', 'registry', 'area', 'open_data'] as const;
function siteKindSetting(raw: string | undefined): Config['siteKind'] {
  if (!raw) return 'agency';
  const k = SITE_KINDS.find((x) => x === raw);
  if (!k) throw bad(`BANCHI_SITE_KIND ต้องเป็นค่าใดค่าหนึ่งใน ${SITE_KINDS.join(', ')} แต่ได้ "${raw}"`, `BANCHI_SITE_KIND must be one of ${SITE_KINDS.join(', ')}, got "${raw}"`);
  return k;
}

function tlsSetting(env: NodeJS.ProcessEnv): Config['tls'] {
  const [cert, key, ca] = [env.BANCHI_TLS_CERT || '', env.BANCHI_TLS_KEY || '', env.BANCHI_TLS_CLIENT_CA || ''];
  if (!cert && !key) {
    if (ca) throw bad('BANCHI_TLS_CLIENT_CA ต้องใช้คู่กับ BANCHI_TLS_CERT และ BANCHI_TLS_KEY (ใบรับรองฝั่งผู้ใช้ขอได้เฉพาะผ่าน TLS)', 'BANCHI_TLS_CLIENT_CA needs BANCHI_TLS_CERT and BANCHI_TLS_KEY (client certificates are asked for only over TLS)');
    return null;
  }
  if (!cert || !key) throw bad('ต้องตั้ง BANCHI_TLS_CERT และ BANCHI_TLS_KEY คู่กัน (ไฟล์ PEM ของใบรับรองและกุญแจส่วนตัว)', 'BANCHI_TLS_CERT and BANCHI_TLS_KEY are set together (the certificate and its private key, PEM files)');
  return { certFile: path.resolve(cert), keyFile: path.resolve(key), clientCaFile: ca ? path.resolve(ca) : '' };
}

/** Plain addresses only: a proxy is believed by the address of the socket it connects from, never by a header. */
function proxiesSetting(raw: string | undefined): string[] {
  const list = (raw ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  const wrong = list.find((a) => !net.isIP(a));
  if (wrong) throw bad(`BANCHI_TRUSTED_PROXIES ต้องเป็นหมายเลข IP คั่นด้วยจุลภาค แต่ได้ "${wrong}"`, `BANCHI_TRUSTED_PROXIES must be comma-separated IP addresses, got "${wrong}"`);
  return list.map(plainAddress);
}

/** IPv4 written as IPv6 (::ffff:10.0.0.1, as a dual-stack socket reports it) compares as IPv4. */
export function plainAddress(a: string): string {
  return a.toLowerCase().replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/, '$1');
}

function headerSetting(raw: string | undefined): string {
  if (!raw) return 'x-client-cert-fingerprint';
  if (!/^[A-Za-z0-9-]{1,64}$/.test(raw)) throw bad(`BANCHI_CLIENT_CERT_HEADER ต้องเป็นชื่อ header (ตัวอักษร ตัวเลข และ -) แต่ได้ "${raw}"`, `BANCHI_CLIENT_CERT_HEADER must be a header name (letters, digits, -), got "${raw}"`);
  return raw.toLowerCase();
}

/**
 * The public address goes into every API link, download URL and redirect check, and decides the
 * cookie names: without a scheme ("data.agency.go.th") every link would be relative and wrong.
 */
function siteUrlSetting(raw: string): string {
  let url: URL | null = null;
  try {
    url = new URL(raw);
  } catch {
    /* said below */
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || !url.hostname || url.search || url.hash || url.username || url.password) {
    throw bad(
      `BANCHI_SITE_URL ต้องเป็นที่อยู่สาธารณะแบบเต็มพร้อม http:// หรือ https:// เช่น https://data.agency.go.th แต่ได้ "${raw}"`,
      `BANCHI_SITE_URL must be the full public address with http:// or https://, e.g. https://data.agency.go.th, got "${raw}"`,
    );
  }
  return raw.replace(/\/+$/, '');
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<Config> = {}): Config {
  const port = intSetting(env, 'PORT', 5000, 0, 65535);
  const host = env.HOST || '127.0.0.1';
  const dataDir = path.resolve(env.BANCHI_DATA_DIR || './data');
  const databaseUrl = env.DATABASE_URL || '';
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw bad('DATABASE_URL ต้องขึ้นต้นด้วย postgres:// หรือ postgresql://', 'DATABASE_URL must start with postgres:// or postgresql://');
  }
  const oidcIssuer = env.BANCHI_OIDC_ISSUER || '';
  const tls = tlsSetting(env);
  const cfg: Config = {
    port,
    host,
    dataDir,
    databaseUrl,
    pgPreparedStatements: env.BANCHI_PG_PREPARED_STATEMENTS !== 'off',
    pgPoolSize: intSetting(env, 'BANCHI_PG_POOL_SIZE', 10, 1, 500),
    siteUrl: env.BANCHI_SITE_URL ? siteUrlSetting(env.BANCHI_SITE_URL) : `${tls ? 'https' : 'http'}://${host}:${port}`,
    siteTitle: env.BANCHI_SITE_TITLE || 'บัญชีข้อมูลหน่วยงาน',
    maxUploadBytes: intSetting(env, 'BANCHI_MAX_UPLOAD_MB', 100, 1, 10240) * 1024 * 1024,
    maxBodyBytes: intSetting(env, 'BANCHI_MAX_BODY_KB', 1024, 16, 102400) * 1024,
    datastoreTimeoutMs: intSetting(env, 'BANCHI_DATASTORE_TIMEOUT_MS', 10_000, 100, 600_000),
    require2faForAll: env.BANCHI_REQUIRE_2FA_ALL === 'true',
    sessionSecret: env.BANCHI_SESSION_SECRET || '',
    tokenMaxDays: intSetting(env, 'BANCHI_TOKEN_MAX_DAYS', 365, 1, 3650),
    oidc: oidcIssuer
      ? { issuer: oidcIssuer, clientId: env.BANCHI_OIDC_CLIENT_ID || '', clientSecret: env.BANCHI_OIDC_CLIENT_SECRET || '' }
      : null,
    logLevel: env.LOG_LEVEL || 'info',
    smtpUrl: env.BANCHI_SMTP_URL || '',
    mailFrom: env.BANCHI_MAIL_FROM || '',
    jsonp: env.BANCHI_JSONP === 'true',
    auditKeyFile: env.BANCHI_AUDIT_KEY_FILE ? path.resolve(env.BANCHI_AUDIT_KEY_FILE) : '',
    siteKind: siteKindSetting(env.BANCHI_SITE_KIND),
    harvestStaleSeconds: intSetting(env, 'BANCHI_HARVEST_STALE_SECONDS', 60, 1, 86400),
    jobLockSeconds: intSetting(env, 'BANCHI_JOB_LOCK_SECONDS', 600, 1, 86400),
    openData: env.BANCHI_OPEN_DATA_URL ? { url: env.BANCHI_OPEN_DATA_URL.replace(/\/+$/, ''), token: env.BANCHI_OPEN_DATA_TOKEN || '', org: env.BANCHI_OPEN_DATA_ORG || '' } : null,
    exchangeKeyFile: env.BANCHI_EXCHANGE_KEY_FILE ? path.resolve(env.BANCHI_EXCHANGE_KEY_FILE) : '',
    tsaUrl: env.BANCHI_TSA_URL || '',
    registryUrl: (env.BANCHI_REGISTRY_URL || '').replace(/\/$/, ''),
    registryToken: env.BANCHI_REGISTRY_TOKEN || '',
    registryStateTtlSeconds: intSetting(env, 'BANCHI_REGISTRY_STATE_TTL', 60, 0, 3600),
    linkcheck: { timeoutMs: intSetting(env, 'BANCHI_LINKCHECK_TIMEOUT_MS', 10_000, 100, 120_000), concurrency: intSetting(env, 'BANCHI_LINKCHECK_CONCURRENCY', 8, 1, 64), allowPrivate: env.BANCHI_LINKCHECK_ALLOW_PRIVATE === 'true' },
    harvestAllowPrivate: env.BANCHI_HARVEST_ALLOW_PRIVATE === 'true',
    sourceHosts: env.BANCHI_SOURCE_HOSTS ?? '',
    tls,
    trustedProxies: proxiesSetting(env.BANCHI_TRUSTED_PROXIES),
    clientCertHeader: headerSetting(env.BANCHI_CLIENT_CERT_HEADER),
    ...overrides,
  };
  if (cfg.oidc && !cfg.oidc.clientId) throw bad('ต้องตั้ง BANCHI_OIDC_CLIENT_ID เมื่อตั้ง BANCHI_OIDC_ISSUER', 'BANCHI_OIDC_CLIENT_ID is required when BANCHI_OIDC_ISSUER is set');
  try {
    parseSourceHosts(cfg.sourceHosts);
  } catch (e) {
    throw bad(`BANCHI_SOURCE_HOSTS มีรายการที่ไม่ใช่ชื่อเครื่อง *.โดเมน ที่อยู่ หรือเครือข่ายย่อย (${(e as Error).message})`, (e as Error).message);
  }
  if (cfg.smtpUrl && !/^smtps?:\/\/[^/]/.test(cfg.smtpUrl)) throw bad('BANCHI_SMTP_URL ต้องขึ้นต้นด้วย smtp:// หรือ smtps://', 'BANCHI_SMTP_URL must start with smtp:// or smtps://');
  if (cfg.openData) {
    if (!/^https?:\/\/[^/]/.test(cfg.openData.url)) throw bad('BANCHI_OPEN_DATA_URL ต้องเป็นที่อยู่ http(s) ของเว็บไซต์ CKAN', 'BANCHI_OPEN_DATA_URL must be the http(s) address of a CKAN site');
    if (!cfg.openData.token || !cfg.openData.org) throw bad('ต้องตั้ง BANCHI_OPEN_DATA_TOKEN และ BANCHI_OPEN_DATA_ORG เมื่อตั้ง BANCHI_OPEN_DATA_URL', 'BANCHI_OPEN_DATA_TOKEN and BANCHI_OPEN_DATA_ORG are required with BANCHI_OPEN_DATA_URL');
  }
  if (cfg.tsaUrl && !/^https?:\/\/[^/]/.test(cfg.tsaUrl)) throw bad('BANCHI_TSA_URL ต้องขึ้นต้นด้วย http:// หรือ https://', 'BANCHI_TSA_URL must start with http:// or https://');
  if (cfg.registryUrl && !/^https?:\/\/[^/]/.test(cfg.registryUrl)) throw bad('BANCHI_REGISTRY_URL ต้องขึ้นต้นด้วย http:// หรือ https://', 'BANCHI_REGISTRY_URL must start with http:// or https://');
  return cfg;
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET', 'EPIPE']);
const FS_CODES = new Set(['EACCES', 'EPERM', 'ENOTDIR', 'EROFS', 'ENOSPC', 'EEXIST', 'EISDIR', 'ELOOP', 'ENAMETOOLONG', 'EDQUOT']);

/** DATABASE_URL as it may be printed: the password is never shown. */
function shownDatabaseUrl(raw: string): string {
  try {
    const u = new URL(raw);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'DATABASE_URL';
  }
}

/**
 * Opening the store failed for a reason of the setting or the machine, not of banchi (the server is
 * down or refuses the role, the database does not exist, the data directory is a file or not
 * writable): the same one line as any other bad setting, never a stack trace. Null for anything
 * else, which stays a bug report with its stack.
 */
export function storeOpenProblem(e: unknown, config: Pick<Config, 'databaseUrl' | 'dataDir'>): ConfigError | null {
  if (e instanceof ConfigError) return e;
  if (!(e instanceof Error)) return null;
  const code = String((e as { code?: unknown }).code ?? '');
  const detail = e.message.split('\n')[0]!;
  if (config.databaseUrl) {
    // SQLSTATE classes 08 (connection), 28 (authorization), 3D (no such database), 53 (out of
    // connections), 57P (shutting down, starting up), 42501 (the role may not create the schema).
    const db = /^(08|28|3D|53|57P)/.test(code) || code === '42501' || NETWORK_CODES.has(code) || /SASL|password|SSL|ssl/.test(detail);
    if (!db) return null;
    const where = shownDatabaseUrl(config.databaseUrl);
    return bad(`เปิดฐานข้อมูล PostgreSQL ไม่ได้ (DATABASE_URL ${where}): ${detail}`, `cannot open the PostgreSQL database (DATABASE_URL ${where}): ${detail}`);
  }
  if (!FS_CODES.has(code)) return null;
  return bad(
    `ใช้โฟลเดอร์ข้อมูลไม่ได้ (BANCHI_DATA_DIR ${config.dataDir}): ${detail}`,
    `cannot use the data directory (BANCHI_DATA_DIR ${config.dataDir}): ${detail}`,
  );
}

/** Runs what opens the store and turns a setting's failure into a ConfigError (see storeOpenProblem). */
export async function openingStore<T>(config: Pick<Config, 'databaseUrl' | 'dataDir'>, open: () => Promise<T>): Promise<T> {
  try {
    return await open();
  } catch (e) {
    throw storeOpenProblem(e, config) ?? e;
  }
}
