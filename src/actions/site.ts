import { sql } from 'kysely';
import { defineAction, allActions } from './registry.ts';
import { NotFoundError, ValidationError } from './errors.ts';
import { licenses } from './licenses.ts';
import { visibleDatasets } from '../access/visibility.ts';
import { currentStandard, standards } from '../standard/index.ts';
import { verifyAudit } from './audit-verify.ts';
import { loadAuditKey } from './audit-key.ts';
import { boolParam, naturalNumber, readPaging, stringParam } from './params.ts';
import { isSysadmin } from '../access/actor.ts';
import { M } from '../standard/messages.ts';
import { tagId } from './tags.ts';

export const BANCHI_VERSION = '0.1.0';
/** The CKAN API version banchi answers like; harvesters read ckan_version to pick their client. */
export const CKAN_COMPAT_VERSION = '2.10.7';

export const statusShow = defineAction({
  name: 'status_show',
  readOnly: true,
  summary: 'Site information and the CKAN version clients should expect.',
  async run(ctx) {
    ctx.authorize('status_show');
    const std = currentStandard();
    return {
      site_title: ctx.services.config.siteTitle,
      site_description: 'บัญชีข้อมูลหน่วยงาน (Agency Data Catalog) — banchi',
      site_url: ctx.services.config.siteUrl,
      error_emails_to: null,
      locale_default: 'th',
      extensions: ['banchi', 'thai_gdc', 'scheming_datasets', 'hierarchy_display'],
      ckan_version: CKAN_COMPAT_VERSION,
      banchi_version: BANCHI_VERSION,
      thaigdc_catalog_type: 'agency',
      thaigdc_is_as_a_service: false,
      thaigdc_version: BANCHI_VERSION,
      metadata_standard: { id: std.id, version: std.version },
    };
  },
});

export const licenseList = defineAction({
  name: 'license_list',
  readOnly: true,
  summary: 'Licences of the national standard (the stored id is the full name).',
  async run(ctx) {
    ctx.authorize('license_list');
    return licenses();
  },
});

export const tagList = defineAction({
  name: 'tag_list',
  readOnly: true,
  summary: 'Tags used by datasets the caller may see; query filters by substring (Thai works).',
  params: { query: { type: 'string', description: 'substring' }, all_fields: { type: 'boolean', description: 'dicts instead of names' }, limit: { type: 'integer', description: 'at most 1000' } },
  async run(ctx, input) {
    ctx.authorize('tag_list');
    const query = (stringParam(input, 'query') ?? stringParam(input, 'q') ?? '').trim().normalize('NFC');
    const { limit, offset } = readPaging(input, 1000, 1000);
    if (typeof input.vocabulary_id === 'string' && input.vocabulary_id) return [];
    const rows = await sql<{ tag: string; n: number }>`
      SELECT t.tag, count(*)::int AS n FROM datasets d, unnest(d.tags) AS t(tag)
      WHERE ${visibleDatasets(ctx.actor, 'd')} ${query ? sql`AND t.tag ILIKE ${'%' + query.replace(/[%_\\]/g, (c) => '\\' + c) + '%'}` : sql``}
      GROUP BY t.tag ORDER BY t.tag LIMIT ${limit} OFFSET ${offset}`.execute(ctx.db);
    if (boolParam(input, 'all_fields', false)) return rows.rows.map((r) => ({ id: tagId(r.tag), name: r.tag, display_name: r.tag, vocabulary_id: null, package_count: r.n }));
    return rows.rows.map((r) => r.tag);
  },
});

export const helpShow = defineAction({
  name: 'help_show',
  readOnly: true,
  summary: "An action's documentation.",
  async run(ctx, input) {
    ctx.authorize('help_show');
    const name = stringParam(input, 'name');
    if (!name) throw ValidationError.field('name', M.missing());
    const def = allActions().find((a) => a.name === name);
    if (!def) throw new NotFoundError({ th: 'ไม่พบคำสั่งนี้', en: 'Action function not found' });
    const params = Object.entries(def.params ?? {}).map(([k, p]) => `  ${k} (${p.type}${p.required ? ', required' : ''}): ${p.description}`);
    return [def.summary, ...(params.length ? ['', 'Parameters:', ...params] : [])].join('\n');
  },
});

export const standardShow = defineAction({
  name: 'standard_show',
  readOnly: true,
  summary: 'The metadata standard (fields, code lists, rules) as data; version selects an older one.',
  async run(ctx, input) {
    ctx.authorize('standard_show');
    const version = naturalNumber(input, 'version');
    const std = version === undefined ? currentStandard() : standards().find((s) => s.version === version && s.id === currentStandard().id);
    if (!std) throw new NotFoundError();
    return std.file;
  },
});

export const auditVerify = defineAction({
  name: 'audit_verify',
  readOnly: true,
  summary: 'Check the tamper-evident audit log (sysadmins): every row against its leaf hash, every batch against its signed Merkle root, the checkpoint chain and the witness copy; reports the first edited, deleted, inserted or reordered row and how many rows are not sealed yet.',
  async run(ctx) {
    ctx.authorize('audit_verify');
    const { config } = ctx.services;
    const r = await verifyAudit(ctx.db, { key: loadAuditKey(config), dataDir: config.dataDir });
    const broken = r.problem ? { seq: String(r.problem.seq), reason: r.problem.reason } : null;
    return {
      intact: r.intact,
      entries: r.rows,
      broken,
      first_problem: r.problem,
      problems: r.problems,
      rows_checked: r.rows,
      batches: r.batches,
      unsealed: r.unsealed,
      rows_per_second: r.rows_per_second,
      seconds: Number(r.seconds.toFixed(3)),
      witness: r.witness,
      checked_by_sysadmin: isSysadmin(ctx.actor),
    };
  },
});

export const siteActions = [statusShow, licenseList, tagList, helpShow, standardShow, auditVerify];
