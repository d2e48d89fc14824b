import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { loadConfig, type Config } from '../src/config.ts';
import { openServices } from '../src/services.ts';
import { buildApp } from '../src/app.ts';
import type { Services } from '../src/actions/context.ts';
import { runAction } from '../src/actions/registry.ts';
import { SYSTEM, loadActor, type Actor } from '../src/access/actor.ts';
import { createScratchDatabase, type ScratchDatabase } from '../src/store/scratch.ts';

/**
 * Tests run against a real PostgreSQL: embedded PGlite by default, or a server when
 * BANCHI_TEST_DATABASE_URL is set (each test file then gets its own fresh database).
 */
export const SERVER_URL = process.env.BANCHI_TEST_DATABASE_URL || '';
export const STORE_KIND = SERVER_URL ? 'postgres' : 'pglite';

export interface TestEnv {
  services: Services;
  app: FastifyInstance;
  config: Config;
  close(): Promise<void>;
}

function freshDatabase(): Promise<ScratchDatabase> {
  return createScratchDatabase(SERVER_URL, 'banchi_test');
}

export async function testEnv(overrides: Partial<Config> = {}, opts: { web?: boolean } = {}): Promise<TestEnv> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'banchi-test-'));
  const db = SERVER_URL ? await freshDatabase() : null;
  const config = loadConfig({ BANCHI_DATA_DIR: dataDir, DATABASE_URL: db?.url ?? '' } as NodeJS.ProcessEnv, { siteUrl: 'http://127.0.0.1:5000', sessionSecret: 'test-secret-test-secret-test-secret-0123', harvestAllowPrivate: true,
    // The tests' integration and look-up sources listen on loopback, as a sysadmin lists an agency's internal hosts.
    sourceHosts: '127.0.0.1,::1,localhost', ...overrides });
  const services = await openServices(config, { memory: !db });
  const app = await buildApp(services, { plugins: opts.web ? (await import('../src/web/index.ts')).webPlugins : [] });
  return {
    services,
    app,
    config,
    async close() {
      await app.close();
      await services.store.close();
      await db?.drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export function sys<T = any>(env: TestEnv, action: string, input: Record<string, unknown>): Promise<T> {
  return runAction<T>(env.services, action, input, { actor: SYSTEM });
}

export async function as<T = any>(env: TestEnv, actor: Actor, action: string, input: Record<string, unknown>): Promise<T> {
  return runAction<T>(env.services, action, input, { actor });
}

export async function actorFor(env: TestEnv, name: string): Promise<Actor> {
  const u = await env.services.store.db.selectFrom('users').select(['id', 'name', 'sysadmin']).where('name', '=', name).executeTakeFirstOrThrow();
  return loadActor(env.services.store.db, u);
}

export async function makeUser(env: TestEnv, name: string, opts: { sysadmin?: boolean; org?: string; role?: string } = {}): Promise<{ actor: Actor; token: string }> {
  await sys(env, 'user_create', { name, email: `${name}@example.go.th`, password: 'correct horse battery', sysadmin: opts.sysadmin ?? false });
  if (opts.org) await sys(env, 'organization_member_create', { id: opts.org, username: name, role: opts.role ?? 'editor' });
  const { token } = await sys<{ token: string }>(env, 'api_token_create', { user: name, name: 'test' });
  return { actor: await actorFor(env, name), token };
}

export async function makeOrg(env: TestEnv, name: string, title = `หน่วยงาน ${name}`, parent?: string) {
  return sys(env, 'organization_create', { name, title, ...(parent ? { parent } : {}) });
}

let seq = 0;
/** A complete, valid statistical dataset of the national standard; override what a test is about. */
export function datasetInput(org: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  seq++;
  return {
    name: `dataset-${seq}-${crypto.randomBytes(3).toString('hex')}`,
    title: `สถิติจำนวนกำลังแรงงานรวม ชุดที่ ${seq} ${crypto.randomBytes(2).toString('hex')}`,
    owner_org: org,
    data_type: 'ข้อมูลสถิติ',
    maintainer: 'กลุ่มสถิติแรงงาน',
    maintainer_email: 'labour@nso.go.th',
    tags: ['แรงงาน', 'สถิติ'],
    notes: 'ข้อมูลจำนวนกำลังแรงงานรวม จำแนกตามเพศ รายไตรมาส',
    objective: ['พันธกิจหน่วยงาน'],
    update_frequency_unit: 'ไตรมาส',
    update_frequency_interval: '1',
    geo_coverage: 'ประเทศ',
    data_source: 'สำรวจภาวะการทำงานของประชากร',
    data_format: ['CSV'],
    data_category: 'ข้อมูลสาธารณะ',
    data_classification: 'เปิดเผย',
    license_id: 'Open Data Common',
    ...overrides,
  };
}

/** Calls the CKAN API through the app, as an HTTP client would. */
export async function api(env: TestEnv, action: string, body?: unknown, opts: { token?: string; method?: 'GET' | 'POST'; query?: Record<string, string>; lang?: string } = {}) {
  const method = opts.method ?? (body === undefined ? 'GET' : 'POST');
  const qs = opts.query ? `?${new URLSearchParams(opts.query)}` : '';
  const res = await env.app.inject({
    method,
    url: `/api/3/action/${action}${qs}`,
    headers: { ...(opts.token ? { authorization: opts.token } : {}), ...(opts.lang ? { 'accept-language': opts.lang } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    payload: body === undefined ? undefined : JSON.stringify(body),
  });
  let json: any;
  try {
    json = res.json();
  } catch {
    json = undefined;
  }
  return { status: res.statusCode, json, res };
}
