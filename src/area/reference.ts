import crypto from 'node:crypto';
import { sql } from 'kysely';
import { defineAction, type ActionDef } from '../actions/registry.ts';
import { ValidationError, type Msg } from '../actions/errors.ts';
import { clashDisclosable, findGroup } from '../actions/datasets/load.ts';
import { hiddenClashesLeft } from '../access/probe-budget.ts';
import { M } from '../standard/messages.ts';
import { packageCreate } from '../actions/datasets/actions.ts';
import { stringParam } from '../actions/params.ts';
import { harvestFetch } from '../harvest/http.ts';
import { publicOnly } from '../util/outbound.ts';
import { normalizePackage } from '../import/normalize.ts';
import { currentStandard } from '../standard/index.ts';
import { decodeUriComponentSafe } from '../util/uri.ts';

/**
 * Area / province catalogs (BANCHI_SITE_KIND=area) reference datasets of other catalogs: an editor
 * gives the address of a CKAN dataset page, the source's metadata is copied into a dataset of theirs
 * with `reference_url_catalog` set to that address and the source's files as links. Such datasets are
 * never registered from here (src/registry/agency-actions.ts refuses them, the national harvester
 * skips them): their source catalog registers them.
 */

/** Fields of the source's dict that mean nothing here (as the harvest drops them). */
const REMOTE_ONLY = ['id', 'owner_org', 'organization', 'groups', 'revision_id', 'relationships_as_object', 'relationships_as_subject', 'num_resources', 'num_tags', 'metadata_modified', 'metadata_created', 'creator_user_id', 'state', 'private', 'type', 'tracking_summary'];
const TIMEOUT_MS = 10_000;
const MAX_BYTES = 4 * 1024 * 1024;

const urlError = (th: string, en: string) => ValidationError.field('url', { th, en } as Msg);

/** `https://host/path/dataset/<name>` → the catalog's base and the dataset's name or id. */
function parseDatasetUrl(raw: string): { base: string; name: string; canonical: string } {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw urlError('ต้องเป็น URL ของหน้าชุดข้อมูล เช่น https://catalog.example.go.th/dataset/ชื่อชุดข้อมูล', 'Must be the URL of a dataset page, e.g. https://catalog.example.go.th/dataset/<name>');
  }
  const m = /^(.*?)\/dataset\/([^/]+)\/?$/.exec(u.pathname);
  if ((u.protocol !== 'http:' && u.protocol !== 'https:') || !m) throw urlError('ต้องเป็น URL ของหน้าชุดข้อมูล (http/https) ที่ลงท้ายด้วย /dataset/ชื่อชุดข้อมูล', 'Must be an http(s) dataset page URL ending in /dataset/<name>');
  const base = `${u.origin}${m[1]}`;
  const name = decodeUriComponentSafe(m[2]!);
  if (name === undefined || !name.trim()) throw urlError('ชื่อชุดข้อมูลใน URL เข้ารหัสไม่ถูกต้อง (เช่น %ZZ)', 'The dataset name in the URL is not validly percent-encoded (e.g. %ZZ)');
  return { base, name, canonical: `${base}/dataset/${encodeURIComponent(name)}` };
}

async function fetchSource(base: string, name: string, allowPrivate: boolean): Promise<Record<string, unknown>> {
  let res;
  try {
    // An editor gives this address: it must not reach the server's own network (SSRF), at any hop.
    res = await harvestFetch(`${base}/api/3/action/package_show?id=${encodeURIComponent(name)}`, { timeoutMs: TIMEOUT_MS, maxBytes: MAX_BYTES, perHost: 2, judge: allowPrivate ? undefined : publicOnly });
  } catch (e) {
    throw urlError(`อ่านชุดข้อมูลจากบัญชีข้อมูลต้นทางไม่ได้: ${(e as Error).message}`, `The source catalog could not be read: ${(e as Error).message}`);
  }
  let body: { success?: boolean; result?: unknown };
  try {
    body = JSON.parse(res.text);
  } catch {
    body = {};
  }
  if (res.status !== 200 || body.success !== true || !body.result || typeof body.result !== 'object' || Array.isArray(body.result)) {
    throw urlError(`บัญชีข้อมูลต้นทางไม่พบชุดข้อมูลนี้ หรือไม่เปิดให้อ่าน (HTTP ${res.status})`, `The source catalog has no readable dataset at this address (HTTP ${res.status})`);
  }
  return body.result as Record<string, unknown>;
}

export const packageReferenceCreate = defineAction({
  name: 'package_reference_create',
  readOnly: false,
  summary: 'Area catalogs: add a reference to another catalog’s dataset (its CKAN dataset page URL); the metadata is copied and reference_url_catalog set, so it is never registered twice.',
  params: {
    owner_org: { type: 'string', description: 'the organisation of this catalog that holds the reference', required: true },
    url: { type: 'string', description: 'the source dataset’s page, e.g. https://catalog.example.go.th/dataset/population', required: true },
  },
  async run(ctx, input) {
    const ref = (stringParam(input, 'owner_org') ?? '').trim();
    const org = ref ? await findGroup(ctx.db, ref, true) : undefined;
    ctx.authorize('package_reference_create', { owner_org: org?.state === 'active' ? org.id : null });
    if (!org || org.state !== 'active') throw ValidationError.field('owner_org', { th: 'ไม่พบหน่วยงานนี้', en: 'Organization not found' });
    if (ctx.services.config.siteKind !== 'area') {
      throw urlError('อ้างอิงชุดข้อมูลจากบัญชีข้อมูลอื่นได้เฉพาะบัญชีข้อมูลระดับพื้นที่/จังหวัด (BANCHI_SITE_KIND=area)', 'Only area / province catalogs reference other catalogs’ datasets (BANCHI_SITE_KIND=area)');
    }
    const raw = (stringParam(input, 'url') ?? '').trim();
    if (!raw) throw urlError('กรุณาระบุ URL ของชุดข้อมูลต้นทาง', 'Missing value');
    const { base, name, canonical } = parseDatasetUrl(raw);
    if (new URL(base).host === new URL(ctx.services.config.siteUrl).host) throw urlError('ชุดข้อมูลนี้อยู่ในบัญชีข้อมูลนี้อยู่แล้ว ไม่ต้องอ้างอิง', 'This dataset is in this catalog already; there is nothing to reference');
    // Both checks below can meet an entry the caller may not see (another organisation's, private,
    // a draft): such an answer is neutral and rationed, as a name clash is (access/probe-budget.ts).
    if ((await hiddenClashesLeft(ctx)) <= 0) throw ValidationError.field('url', M.tooManyProbes());
    const held = await ctx.db
      .selectFrom('datasets')
      .select(['id', 'name'])
      .where('state', '<>', 'deleted')
      .where(sql<boolean>`metadata->>'reference_url_catalog' = ${canonical}`)
      .executeTakeFirst();
    if (held) {
      if (await clashDisclosable(ctx, held.id)) throw urlError(`อ้างอิงชุดข้อมูลนี้ไว้แล้วเป็น ${held.name}`, `This dataset is referenced already as ${held.name}`);
      throw urlError('ชุดข้อมูลนี้ถูกอ้างอิงไว้ในบัญชีข้อมูลนี้แล้ว', 'This dataset is referenced in this catalog already');
    }
    const source = await fetchSource(base, name, ctx.services.config.linkcheck?.allowPrivate === true);
    const local: Record<string, unknown> = { ...source };
    for (const k of REMOTE_ONLY) delete local[k];
    // The source's files stay at the source: every resource becomes a link to its address there.
    local.resources = (Array.isArray(source.resources) ? source.resources : []).filter((r): r is Record<string, unknown> => !!r && typeof r === 'object').map((r) => ({
      name: r.name ?? '', description: r.description ?? '', format: r.format ?? '', url: typeof r.url === 'string' ? r.url : '',
    }));
    const remoteName = typeof source.name === 'string' && source.name ? source.name : name;
    const taken = await ctx.db.selectFrom('datasets').select('id').where('name', '=', remoteName).executeTakeFirst();
    // The suffix tells that the name is taken: one rationed answer when the holder is hidden.
    if (taken) await clashDisclosable(ctx, taken.id);
    local.name = taken ? `${remoteName.slice(0, 90)}-${crypto.createHash('sha256').update(canonical).digest('hex').slice(0, 6)}` : remoteName;
    local.reference_url_catalog = `${base}/dataset/${encodeURIComponent(remoteName)}`;
    const input2 = normalizePackage(currentStandard(), local);
    return packageCreate.run(ctx, { ...input2, owner_org: org!.id });
  },
});

export const areaActions: ActionDef[] = [packageReferenceCreate];
