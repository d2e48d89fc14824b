import type { FastifyInstance } from 'fastify';
import { html, type Html } from '../html.ts';
import { call, page, render, type PageCtx, type Web } from '../context.ts';
import { timeEl } from '../format.ts';
import { datasetCrumbs, datasetHeader } from '../components/dataset-header.ts';
import { fieldValue } from '../components/field-values.ts';
import { pagination } from '../components/pagination.ts';
import type { PackageDict } from '../components/types.ts';
import type { MessageKey } from '../i18n/index.ts';
import { currentStandard } from '../../standard/index.ts';
import type { StandardField } from '../../standard/types.ts';

interface Change {
  field: string;
  old: unknown;
  new: unknown;
}

interface Activity {
  id: string;
  timestamp: string;
  /** A colleague's name, or the organisation's for visitors who may not see staff identities. */
  user_display_name: string | null;
  activity_type: string;
  version: number;
  data: { package: PackageDict };
  changes: Change[];
  /** The version before could not be seen by this visitor: its values are not shown. */
  changes_withheld?: boolean;
}

const PER_PAGE = 20;

/** Keys of the package dict that are bookkeeping, not metadata a person edits: not listed as changes. */
const TECHNICAL = new Set([
  'id', 'type', 'metadata_created', 'metadata_modified', 'metadata_standard', 'standard', 'creator_user_id', 'revision_id',
  'relationships_as_object', 'relationships_as_subject', 'license_title', 'license_url', 'isopen', 'num_resources', 'num_tags', 'access', 'organization',
]);
const TECHNICAL_RESOURCE = new Set(['id', 'package_id', 'hash', 'mimetype', 'url_type', 'created', 'datastore_active', 'state', 'position', 'url_restricted']);

function isEmptyValue(v: unknown): boolean {
  return v === null || v === undefined || v === '' || (Array.isArray(v) && v.length === 0) || (typeof v === 'object' && !Array.isArray(v) && Object.keys(v as object).length === 0);
}

/** The changes worth showing: edits of metadata and resources, without bookkeeping keys. */
function readable(changes: Change[]): Change[] {
  return changes.filter((c) => {
    if (isEmptyValue(c.old) && isEmptyValue(c.new)) return false;
    const res = /^resources\[[^\]]+\](?:\.(.+))?$/.exec(c.field);
    if (res) return !res[1] || !TECHNICAL_RESOURCE.has(res[1]);
    return !TECHNICAL.has(c.field);
  });
}

/** Labels for CKAN keys that are not fields of the standard. */
const CORE_LABELS: Record<string, MessageKey> = {
  state: 'history.field_state',
  groups: 'history.field_groups',
  extras: 'history.field_extras',
  tags: 'dataset.tags',
  license_title: 'dataset.license',
  license_url: 'history.field_license_url',
  isopen: 'history.field_isopen',
  owner_org: 'dataset.organization',
};

function plain(v: unknown): string {
  if (v === null || v === undefined || v === '') return '';
  if (Array.isArray(v)) return v.map((x) => (x && typeof x === 'object' ? ((x as Record<string, unknown>).title ?? (x as Record<string, unknown>).name ?? JSON.stringify(x)) : String(x))).join(', ');
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/** CKAN keys whose raw values are words of the catalog: shown as the interface words. */
const CORE_VALUES: Record<string, Record<string, MessageKey>> = {
  state: { draft: 'history.state_draft', active: 'history.state_active', deleted: 'history.state_deleted' },
  isopen: { true: 'history.bool_true', false: 'history.bool_false' },
};

function valueCell(p: PageCtx, f: StandardField | undefined, v: unknown, core?: string): Html {
  if (v === null || v === undefined || v === '' || (Array.isArray(v) && !v.length)) return html`<span class="muted">${p.t('history.empty')}</span>`;
  if (f) return fieldValue(p, f, v);
  const word = core ? CORE_VALUES[core]?.[String(v)] : undefined;
  if (word) return html`${p.t(word)}`;
  return html`${plain(v)}`;
}

/** One change as a row: which field (the standard's label), what it was, what it became. */
function changeRow(p: PageCtx, c: Change, snapshot: PackageDict, orgNames: Map<string, string>): Html {
  const std = currentStandard();
  const { t, lang } = p;
  const res = /^resources\[([^\]]+)\](?:\.(.+))?$/.exec(c.field);
  if (res) {
    const r = ((snapshot.resources ?? []) as Array<Record<string, unknown>>).find((x) => x.id === res[1]);
    const name = String(r?.name ?? c.new ?? c.old ?? res[1]);
    if (!res[2]) {
      return c.old === null
        ? html`<tr><th scope="row">${t('history.resource_added')}</th><td></td><td><ins>${name}</ins></td></tr>`
        : html`<tr><th scope="row">${t('history.resource_removed')}</th><td><del>${name}</del></td><td></td></tr>`;
    }
    const rf = std.resourceFields.get(res[2]);
    const label = rf ? rf.label[lang] : res[2];
    return html`<tr><th scope="row">${t('history.resource_field', { name, field: label })}</th><td><del>${valueCell(p, rf, c.old)}</del></td><td><ins>${valueCell(p, rf, c.new)}</ins></td></tr>`;
  }
  if (c.field === 'owner_org') {
    const name = (v: unknown) => (typeof v === 'string' && v ? orgNames.get(v) ?? v : '');
    return html`<tr><th scope="row">${std.datasetFields.get('owner_org')?.label[lang] ?? c.field}</th><td><del>${name(c.old)}</del></td><td><ins>${name(c.new)}</ins></td></tr>`;
  }
  const f = std.datasetFields.get(c.field);
  const other = std.otherFields.get(c.field);
  const label = f ? f.label[lang] : other ? `${std.datasetFields.get(other)?.label[lang] ?? other} (${t('history.other_text')})` : CORE_LABELS[c.field] ? t(CORE_LABELS[c.field]!) : c.field;
  const fieldForValue = f && f.type !== 'organization' ? f : undefined;
  return html`<tr><th scope="row">${label}</th><td><del>${valueCell(p, fieldForValue, c.old, c.field)}</del></td><td><ins>${valueCell(p, fieldForValue, c.new, c.field)}</ins></td></tr>`;
}

function activityTitle(p: PageCtx, a: Activity): string {
  const key: MessageKey = a.activity_type === 'new package' ? 'history.created' : a.activity_type === 'deleted package' ? 'history.deleted' : 'history.changed';
  return p.t(key, { user: a.user_display_name ?? p.t('history.system') });
}

export function historyRoutes(app: FastifyInstance, web: Web): void {
  app.get('/dataset/activity/:id', page(web, async (p) => {
    const { t } = p;
    const { id } = p.req.params as { id: string };
    const pageNo = Math.min(Math.max(1, Number.parseInt(String((p.req.query as Record<string, unknown>).page ?? '1'), 10) || 1), 100);
    const d = await call<PackageDict>(p, 'package_show', { id });
    // One more than a page tells whether an older page exists.
    const list = await call<Activity[]>(p, 'package_activity_list', { id: d.id, limit: PER_PAGE + 1, offset: (pageNo - 1) * PER_PAGE });
    const shown = list.slice(0, PER_PAGE);
    // A move between organisations is stored as ids: show their titles.
    const orgIds = new Set(shown.flatMap((a) => a.changes.filter((c) => c.field === 'owner_org').flatMap((c) => [c.old, c.new])).filter((v): v is string => typeof v === 'string' && !!v));
    const orgNames = new Map<string, string>();
    for (const id of orgIds) {
      const org = await call<Record<string, string>>(p, 'organization_show', { id }).catch(() => null);
      if (org) orgNames.set(id, org.title || org.name!);
    }
    const body = html`
      ${datasetHeader(p, d, 'activity')}
      <h2>${t('history.title')}</h2>
      ${shown.length ? html`<ol class="activity">${shown.map((a) => html`<li>
        <h3 class="h4">${activityTitle(p, a)} · ${timeEl(p.lang, a.timestamp, true)} <span class="muted">${t('history.version', { n: a.version })}</span></h3>
        ${a.activity_type === 'new package' ? html`<p class="muted">${t('history.first_version')}</p>` : a.changes_withheld ? html`<p class="muted">${t('history.withheld')}</p>` : readable(a.changes).length ? html`<table class="changes">
          <caption class="visually-hidden">${t('history.changes_caption', { n: a.version })}</caption>
          <thead><tr><th scope="col">${t('dataset.field')}</th><th scope="col">${t('history.before')}</th><th scope="col">${t('history.after')}</th></tr></thead>
          <tbody>${readable(a.changes).map((c) => changeRow(p, c, a.data.package, orgNames))}</tbody>
        </table>` : html`<p class="muted">${t('history.no_changes')}</p>`}
      </li>`)}</ol>` : html`<p class="empty">${t('history.none')}</p>`}
      ${pagination(p, pageNo, list.length > PER_PAGE ? pageNo + 1 : pageNo, (n) => `/dataset/activity/${encodeURIComponent(d.name)}?page=${n}`)}`;
    return render(p, `${t('history.title')} — ${d.title || d.name}`, body, { breadcrumbs: datasetCrumbs(p, d, [t('dataset.tab_activity')]) });
  }));
}
