import type { FastifyInstance } from 'fastify';
import { html, type Html } from '../../html.ts';
import { call, form, may, page, redirect, render, type PageCtx, type Web } from '../../context.ts';
import { csrfField } from '../../layout.ts';
import { ValidationError, localizeErrors } from '../../../actions/errors.ts';
import { ITEM_CODES } from '../../../exchange/items/registry.ts';
import type { FieldMapping } from '../../../exchange/items/mapping.ts';
import { L } from '../governance/common.ts';

/** The exchange data item registry as pages, and the mapping section of the resource page. */
type Item = Record<string, any>;
const codeText = (p: PageCtx, list: keyof typeof ITEM_CODES, v: string) => {
  const c = ITEM_CODES[list].find((x) => x.value === v);
  return c ? L(p, c.label.th, c.label.en) : v;
};

const FIELDS: { k: string; th: string; en: string; type: 'text' | 'area' | 'code' | 'bool'; list?: keyof typeof ITEM_CODES }[] = [
  { k: 'label_th', th: 'ชื่อรายการ (ไทย)', en: 'Label (Thai)', type: 'text' },
  { k: 'label_en', th: 'ชื่อรายการ (อังกฤษ)', en: 'Label (English)', type: 'text' },
  { k: 'definition_th', th: 'นิยาม (ไทย)', en: 'Definition (Thai)', type: 'area' },
  { k: 'definition_en', th: 'นิยาม (อังกฤษ)', en: 'Definition (English)', type: 'area' },
  { k: 'data_type', th: 'ชนิดข้อมูล', en: 'Type', type: 'code', list: 'data_type' },
  { k: 'format', th: 'รูปแบบ', en: 'Format', type: 'text' },
  { k: 'pattern', th: 'รูปแบบตรวจสอบ (regular expression)', en: 'Check pattern (regular expression)', type: 'text' },
  { k: 'item_group', th: 'กลุ่มข้อมูล', en: 'Group', type: 'code', list: 'item_group' },
  { k: 'standard', th: 'มาตรฐานต้นทาง', en: 'Source standard', type: 'text' },
  { k: 'example', th: 'ตัวอย่าง', en: 'Example', type: 'text' },
  { k: 'personal_data', th: 'เป็นข้อมูลส่วนบุคคล', en: 'Personal data', type: 'bool' },
];

function itemForm(p: PageCtx, action: string, v: Item, errors: Record<string, string[]>, isNew: boolean): Html {
  const err = (k: string) => (errors[k]?.length ? html`<p class="field-error" id="f-${k}-err">${errors[k]!.join(' ')}</p>` : '');
  const control = (f: (typeof FIELDS)[number]) => {
    const val = v[f.k] === undefined || v[f.k] === null ? '' : String(v[f.k]);
    if (f.type === 'bool') return html`<div class="field"><label><input type="checkbox" name="${f.k}" value="true"${val === 'true' ? html` checked` : ''}> ${L(p, f.th, f.en)}</label></div>`;
    const c = f.type === 'area' ? html`<textarea id="f-${f.k}" name="${f.k}" rows="3">${val}</textarea>`
      : f.type === 'code' ? html`<select id="f-${f.k}" name="${f.k}"><option value="">—</option>${ITEM_CODES[f.list!].map((o) => html`<option value="${o.value}"${o.value === val ? html` selected` : ''}>${L(p, o.label.th, o.label.en)}</option>`)}</select>`
      : html`<input id="f-${f.k}" name="${f.k}" value="${val}">`;
    return html`<div class="field${errors[f.k] ? ' has-error' : ''}"><label for="f-${f.k}">${L(p, f.th, f.en)}</label>${err(f.k)}${c}</div>`;
  };
  return html`<form method="post" action="${action}" class="stacked">${csrfField(p)}
    ${isNew ? html`<div class="field${errors.name ? ' has-error' : ''}"><label for="f-name">${L(p, 'ชื่อรายการ (a-z 0-9 _)', 'Item name (a-z 0-9 _)')}</label>${err('name')}<input id="f-name" name="name" value="${v.name ?? ''}" pattern="[a-z][a-z0-9_]{1,62}"></div>` : html`<input type="hidden" name="version" value="${v.version}">${err('version')}`}
    ${FIELDS.map(control)}
    <div class="field"><label for="f-note">${L(p, 'บันทึกการเปลี่ยนแปลง', 'Change note')}</label><input id="f-note" name="note" maxlength="500"></div>
    <button type="submit">${isNew ? L(p, 'เพิ่มรายการ', 'Add item') : L(p, 'บันทึกฉบับใหม่', 'Save as a new version')}</button></form>`;
}

const crumbs = (p: PageCtx, last?: string): Array<[string, string?]> => [[L(p, 'การแลกเปลี่ยนข้อมูล', 'Exchange'), '/exchange'], [L(p, 'รายการข้อมูลสำหรับแลกเปลี่ยน', 'Exchange data items'), last ? '/exchange/items' : undefined], ...(last ? [[last] as [string]] : [])];

export function itemRoutes(app: FastifyInstance, web: Web): void {
  const list = async (p: PageCtx, values: Item = {}, errors: Record<string, string[]> = {}, status = 200) => {
    const q = p.req.query as Record<string, unknown>;
    const group = typeof q.group === 'string' ? q.group.slice(0, 40) : '';
    const items = await call<Item[]>(p, 'exchange_item_list', group ? { group } : {});
    const title = L(p, 'รายการข้อมูลสำหรับแลกเปลี่ยน (มาตรฐานข้อมูลเพื่อการแลกเปลี่ยน)', 'Exchange data items (the data standard for exchange)');
    const body = html`<h1>${title}</h1>
      <p>${ITEM_CODES.item_group.map((g) => html`<a href="/exchange/items?group=${g.value}"${g.value === group ? html` aria-current="true"` : ''}>${L(p, g.label.th, g.label.en)}</a> · `)}<a href="/exchange/items">${L(p, 'ทั้งหมด', 'All')}</a></p>
      <table><thead><tr><th>${L(p, 'ชื่อรายการ', 'Name')}</th><th>${L(p, 'คำอธิบาย', 'Label')}</th><th>${L(p, 'ชนิด / รูปแบบ', 'Type / format')}</th><th>${L(p, 'กลุ่ม', 'Group')}</th><th>${L(p, 'มาตรฐาน', 'Standard')}</th><th>${L(p, 'ฉบับ', 'Version')}</th></tr></thead><tbody>
      ${items.map((i) => html`<tr><td><a href="/exchange/items/${i.name}"><code>${i.name}</code></a></td><td>${L(p, i.label_th, i.label_en)}</td><td>${codeText(p, 'data_type', i.data_type)} ${i.format ? html`<br><span class="muted">${i.format}</span>` : ''}</td><td>${codeText(p, 'item_group', i.item_group)}</td><td>${i.standard}</td><td>${i.version}</td></tr>`)}</tbody></table>
      ${may(p, 'exchange_item_create') ? html`<h2>${L(p, 'เพิ่มรายการข้อมูล', 'Add an item')}</h2>${itemForm(p, '/exchange/items', values, errors, true)}` : ''}`;
    return render(p, title, body, { breadcrumbs: crumbs(p) }, status);
  };
  app.get('/exchange/items', page(web, (p) => list(p)));
  app.post('/exchange/items', form(web, async (p) => {
    try {
      const made = await call<Item>(p, 'exchange_item_create', { ...p.body });
      return redirect(p, `/exchange/items/${made.name}`);
    } catch (e) {
      if (e instanceof ValidationError) return list(p, p.body, localizeErrors(e.errors, p.lang) as Record<string, string[]>, 400);
      throw e;
    }
  }));
  const show = async (p: PageCtx, values?: Item, errors: Record<string, string[]> = {}, status = 200) => {
    const { name } = p.req.params as { name: string };
    const i = await call<Item>(p, 'exchange_item_show', { id: name });
    const body = html`<h1>${L(p, i.label_th, i.label_en)} <code>${i.name}</code></h1>
      ${i.state === 'retired' ? html`<p class="notice">${L(p, 'เลิกใช้แล้ว', 'Retired')}</p>` : ''}
      <dl>${FIELDS.map((f) => html`<dt>${L(p, f.th, f.en)}</dt><dd>${f.type === 'code' ? codeText(p, f.list!, i[f.k]) : f.type === 'bool' ? (i[f.k] ? L(p, 'ใช่', 'Yes') : L(p, 'ไม่ใช่', 'No')) : i[f.k] || '—'}</dd>`)}
        <dt>${L(p, 'ฉบับที่', 'Version')}</dt><dd>${i.version}</dd></dl>
      <h2>${L(p, 'ประวัติฉบับ', 'Versions')}</h2>
      <table><thead><tr><th>${L(p, 'ฉบับ', 'Version')}</th><th>${L(p, 'เมื่อ', 'When')}</th><th>${L(p, 'โดย', 'By')}</th><th>${L(p, 'บันทึก', 'Note')}</th></tr></thead><tbody>
      ${(i.versions as Item[]).map((v) => html`<tr><td>${v.version}</td><td>${v.at}</td><td>${v.changed_by}</td><td>${v.note}</td></tr>`)}</tbody></table>
      ${may(p, 'exchange_item_update') ? html`<h2>${L(p, 'แก้ไข (สร้างฉบับใหม่)', 'Edit (makes a new version)')}</h2>${itemForm(p, `/exchange/items/${i.name}`, values ?? { ...i, personal_data: String(i.personal_data) }, errors, false)}` : ''}`;
    return render(p, `${i.name} — ${L(p, 'รายการข้อมูล', 'Exchange data item')}`, body, { breadcrumbs: crumbs(p, i.name) }, status);
  };
  app.get('/exchange/items/:name', page(web, (p) => show(p)));
  app.post('/exchange/items/:name', form(web, async (p) => {
    const { name } = p.req.params as { name: string };
    try {
      await call(p, 'exchange_item_update', { ...p.body, id: name, personal_data: p.body.personal_data === 'true' });
      return redirect(p, `/exchange/items/${encodeURIComponent(name)}`);
    } catch (e) {
      if (e instanceof ValidationError) return show(p, p.body, localizeErrors(e.errors, p.lang) as Record<string, string[]>, 400);
      throw e;
    }
  }));
  app.post('/exchange/mapping/:rid', form(web, async (p) => {
    const { rid } = p.req.params as { rid: string };
    const mappings: Record<string, string> = Object.create(null);
    for (const [k, v] of Object.entries(p.body)) if (k.startsWith('map.') && typeof v === 'string') mappings[k.slice(4)] = v;
    await call(p, 'exchange_item_mapping_set', { resource_id: rid, mappings });
    const back = typeof p.body.back === 'string' ? p.body.back : '/';
    return redirect(p, back);
  }));
}

/** The resource page's section: each dictionary field and the item it maps to; a form for those who may set it. */
export async function itemMappingSection(p: PageCtx, resourceId: string, owner: string | null, back: string): Promise<Html> {
  const m = await call<{ fields: FieldMapping[] }>(p, 'exchange_item_mapping_show', { resource_id: resourceId });
  if (!m.fields.length) return html``;
  const edit = may(p, 'exchange_item_mapping_set', { owner_org: owner, visible: true });
  const items = edit ? await call<Item[]>(p, 'exchange_item_list', {}) : [];
  const row = (f: FieldMapping) => html`<tr><td><code>${f.field}</code></td><td>${f.item ? html`<a href="/exchange/items/${f.item.name}"><code>${f.item.name}</code></a> ${L(p, f.item.label_th, f.item.label_en)}${f.item.current_version !== f.item.version ? html` <span class="muted">(${L(p, `จับคู่กับฉบับ ${f.item.version} ปัจจุบันฉบับ ${f.item.current_version}`, `mapped to version ${f.item.version}, now ${f.item.current_version}`)})</span>` : ''}` : '—'}</td>
    ${edit ? html`<td><select name="map.${f.field}" aria-label="${f.field}"><option value="">—</option>${items.map((i) => html`<option value="${i.name}"${f.item?.name === i.name ? html` selected` : ''}>${i.name} — ${L(p, i.label_th, i.label_en)}</option>`)}</select></td>` : ''}</tr>`;
  const table = html`<table><thead><tr><th>${L(p, 'ฟิลด์', 'Field')}</th><th>${L(p, 'รายการข้อมูลสำหรับแลกเปลี่ยน', 'Exchange data item')}</th>${edit ? html`<th>${L(p, 'เปลี่ยน', 'Change')}</th>` : ''}</tr></thead><tbody>${m.fields.map(row)}</tbody></table>`;
  return html`<section aria-labelledby="res-items"><h2 id="res-items">${L(p, 'การจับคู่กับรายการข้อมูลสำหรับแลกเปลี่ยน', 'Mapping to exchange data items')}</h2>
    ${edit ? html`<form method="post" action="/exchange/mapping/${resourceId}">${csrfField(p)}<input type="hidden" name="back" value="${back}">${table}<button type="submit">${L(p, 'บันทึกการจับคู่', 'Save mapping')}</button></form>` : table}</section>`;
}
