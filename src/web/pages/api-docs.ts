import type { FastifyInstance } from 'fastify';
import { allActions, type ActionDef } from '../../actions/registry.ts';
import { apiDocsPages } from '../../api/ckan/routes.ts';
import { html, type Html } from '../html.ts';
import { page, render, type PageCtx, type Web } from '../context.ts';

type Entity = { id: string; th: string; en: string; test: (name: string) => boolean };

/** Actions by what they act on; the first matching entity takes an action. */
const ENTITIES: Entity[] = [
  { id: 'activity', th: 'ประวัติการเปลี่ยนแปลง', en: 'Activity', test: (n) => n.endsWith('_activity_list') },
  { id: 'resources', th: 'ทรัพยากร', en: 'Resources', test: (n) => n.startsWith('resource_') || n === 'format_autocomplete' },
  { id: 'datasets', th: 'ชุดข้อมูล', en: 'Datasets', test: (n) => /^(package_|dataset_|current_package_|bulk_update_)/.test(n) },
  { id: 'organizations', th: 'หน่วยงาน', en: 'Organizations', test: (n) => n.startsWith('organization_') || n.startsWith('member_') },
  { id: 'groups', th: 'กลุ่ม', en: 'Groups', test: (n) => n.startsWith('group_') },
  { id: 'tags', th: 'คำสำคัญและคำศัพท์', en: 'Tags and vocabularies', test: (n) => n.startsWith('tag_') || n.startsWith('vocabulary_') },
  { id: 'users', th: 'ผู้ใช้และโทเค็น', en: 'Users and tokens', test: (n) => n.startsWith('user_') || n.startsWith('api_token_') },
  { id: 'site', th: 'ระบบ', en: 'Site', test: () => true },
];

const EXAMPLE_VALUES: Record<string, string> = { id: 'my-dataset', q: 'แรงงาน', query: 'format:csv', package_id: 'my-dataset', org_id: 'my-org', organization_id: 'my-org', user_id: 'somchai', name: 'package_show' };

/** A curl line that runs as written (Thai is percent-encoded by curl itself). */
export function exampleFor(def: ActionDef, siteUrl: string): string {
  const url = `${siteUrl}/api/3/action/${def.name}`;
  const required = Object.entries(def.params ?? {}).filter(([k, p]) => p.required && !k.includes('<'));
  if (def.readOnly) {
    const args = required.map(([k]) => ` --data-urlencode '${k}=${EXAMPLE_VALUES[k] ?? '...'}'`).join('');
    return `curl -s -G ${url}${args}`;
  }
  const body = Object.fromEntries(required.map(([k, p]) => [k, p.type === 'array' ? [EXAMPLE_VALUES[k] ?? '...'] : p.type === 'object' ? { name: 'my-dataset' } : (EXAMPLE_VALUES[k] ?? '...')]));
  return `curl -s -H "Authorization: $TOKEN" -H 'Content-Type: application/json' \\\n  -d '${JSON.stringify(body)}' ${url}`;
}

export function groupedActions(): Array<{ entity: Entity; actions: ActionDef[] }> {
  const defs = allActions().sort((a, b) => (a.name < b.name ? -1 : 1));
  const out = ENTITIES.map((entity) => ({ entity, actions: [] as ActionDef[] }));
  for (const d of defs) out.find((g) => g.entity.test(d.name))!.actions.push(d);
  return out.filter((g) => g.actions.length);
}

function actionBlock(p: PageCtx, def: ActionDef): Html {
  const en = p.lang === 'en';
  const params = Object.entries(def.params ?? {});
  return html`<section class="api-action" id="${def.name}" aria-labelledby="h-${def.name}">
    <h3 id="h-${def.name}"><code>${def.name}</code> <span class="badge">${def.readOnly ? 'GET / POST' : 'POST'}</span></h3>
    <p>${def.summary}</p>
    ${params.length
      ? html`<div class="table-scroll" tabindex="0" role="region" aria-label="${en ? `Parameters of ${def.name}` : `พารามิเตอร์ของ ${def.name}`}"><table class="metadata">
          <thead><tr><th scope="col">${en ? 'Parameter' : 'พารามิเตอร์'}</th><th scope="col">${en ? 'Type' : 'ชนิด'}</th><th scope="col">${en ? 'Description' : 'คำอธิบาย'}</th></tr></thead>
          <tbody>${params.map(([k, d]) => html`<tr><th scope="row"><code>${k}</code>${d.required ? html` <span class="muted">(${en ? 'required' : 'จำเป็น'})</span>` : ''}</th><td>${d.type}</td><td>${d.description}</td></tr>`)}</tbody>
        </table></div>`
      : html`<p class="muted">${en ? 'No parameters documented.' : 'ไม่มีพารามิเตอร์ที่ระบุไว้'}</p>`}
    <pre class="preview-json" tabindex="0" aria-label="${en ? 'Example' : 'ตัวอย่าง'}"><code>${exampleFor(def, p.services.config.siteUrl)}</code></pre>
    <p><a href="/api/3/action/help_show?name=${encodeURIComponent(def.name)}">help_show</a></p>
  </section>`;
}

/** /api/3 for people: the same definitions help_show and /api/openapi.json are built from. */
export function apiDocsRoutes(_app: FastifyInstance, web: Web): void {
  const handler = page(web, async (p) => {
    const en = p.lang === 'en';
    const groups = groupedActions();
    // Outside the portal's scope (the route belongs to the API): the portal's headers are set here.
    p.reply
      .header('Content-Security-Policy', "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: https:; font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")
      .header('X-Frame-Options', 'DENY')
      .header('Vary', 'Accept');
    const body = html`<h1>${en ? 'CKAN Action API' : 'API (CKAN Action API)'}</h1>
      <p>${en
        ? 'Every action answers at /api/3/action/<name>: GET for reads, POST (JSON, form or multipart) for writes, with an API token in the Authorization header. Percent-encode Thai in query strings (curl -G --data-urlencode does it).'
        : 'ทุกคำสั่งเรียกได้ที่ /api/3/action/<ชื่อคำสั่ง> ใช้ GET สำหรับการอ่าน และ POST (JSON, ฟอร์ม หรือ multipart) สำหรับการเขียน โดยส่งโทเค็น API ในส่วนหัว Authorization ข้อความภาษาไทยใน query ต้องเข้ารหัสแบบ percent-encoding (curl -G --data-urlencode ทำให้)'}</p>
      <p><a href="/api/openapi.json">OpenAPI (JSON)</a> · <code>GET /api/3</code> ${en ? 'with Accept: application/json answers' : 'เมื่อขอ JSON จะตอบ'} <code>{"version": 3}</code></p>
      <nav aria-label="${en ? 'Actions by entity' : 'คำสั่งตามประเภท'}"><ul class="plain">${groups.map((g) => html`<li><a href="#${g.entity.id}">${en ? g.entity.en : g.entity.th}</a> (${g.actions.length})</li>`)}</ul></nav>
      ${groups.map((g) => html`<section aria-labelledby="${g.entity.id}"><h2 id="${g.entity.id}">${en ? g.entity.en : g.entity.th}</h2>${g.actions.map((d) => actionBlock(p, d))}</section>`)}`;
    return render(p, en ? 'API' : 'API', body, { breadcrumbs: [[en ? 'API' : 'API']] });
  });
  apiDocsPages.set(web.services, handler);
}
