import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { loadConfig } from '../../src/config.ts';
import { openServices } from '../../src/services.ts';
import type { Services } from '../../src/actions/context.ts';

export const BIN = path.resolve(import.meta.dirname, '..', '..', 'bin', 'banchi.js');
export const SHARED = path.resolve(import.meta.dirname, '..', '..', '..', 'shared', 'data');
const SERVER_URL = process.env.BANCHI_TEST_DATABASE_URL || '';
export const STORE = SERVER_URL ? 'postgres' : 'pglite';

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * A place for `banchi` to run: a temp BANCHI_DATA_DIR (PGlite), or a fresh PostgreSQL database when
 * BANCHI_TEST_DATABASE_URL is set. Commands are spawned through bin/banchi.js, as a user runs them.
 */
export interface CliEnv {
  dataDir: string;
  env: NodeJS.ProcessEnv;
  run(args: string[], opts?: { input?: string; lang?: string; env?: NodeJS.ProcessEnv }): Promise<RunResult>;
  start(args: string[]): ChildProcess;
  /** Opens the store in this process (only while no CLI process holds it) and closes it again. */
  withServices<T>(fn: (s: Services) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export async function cliEnv(): Promise<CliEnv> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'banchi-cli-'));
  let databaseUrl = '';
  let dbName = '';
  if (SERVER_URL) {
    dbName = `banchi_cli_${crypto.randomBytes(6).toString('hex')}`;
    const admin = new pg.Client({ connectionString: SERVER_URL });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${dbName}`);
    await admin.end();
    const url = new URL(SERVER_URL);
    url.pathname = `/${dbName}`;
    databaseUrl = url.toString();
  }
  const env: NodeJS.ProcessEnv = { ...process.env, BANCHI_DATA_DIR: dataDir, DATABASE_URL: databaseUrl, LANG: 'th_TH.UTF-8', LC_ALL: '', LC_MESSAGES: '', PORT: '0', BANCHI_HARVEST_ALLOW_PRIVATE: 'true', BANCHI_SOURCE_HOSTS: '127.0.0.1,::1,localhost' };
  return {
    dataDir,
    env,
    run(args, opts = {}) {
      return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, [BIN, ...args], { env: { ...env, ...(opts.lang ? { LANG: opts.lang } : {}), ...opts.env }, stdio: ['pipe', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
        child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
        child.on('error', reject);
        child.on('close', (code) => resolve({ code, stdout, stderr }));
        child.stdin.end(opts.input ?? '');
      });
    },
    start(args) {
      return spawn(process.execPath, [BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    },
    async withServices(fn) {
      const services = await openServices(loadConfig(env));
      try {
        return await fn(services);
      } finally {
        await services.store.close();
      }
    },
    async close() {
      fs.rmSync(dataDir, { recursive: true, force: true });
      if (dbName) {
        const c = new pg.Client({ connectionString: SERVER_URL });
        await c.connect();
        await c.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
        await c.end();
      }
    },
  };
}

/** Resolves with the first stdout line matching `pattern` (e.g. the server's address). */
export function waitForLine(child: ChildProcess, pattern: RegExp): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    let seen = '';
    let errors = '';
    child.stderr!.setEncoding('utf8').on('data', (d) => (errors += d));
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      seen += d;
      const m = pattern.exec(seen);
      if (m) resolve(m);
    });
    child.on('exit', (code) => reject(new Error(`exited with ${code} before printing ${pattern}: ${seen} ${errors}`)));
  });
}

export function writeJsonl(dir: string, name: string, lines: unknown[]): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n') + '\n');
  return file;
}
