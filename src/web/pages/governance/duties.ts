import type { FastifyInstance } from 'fastify';
import { html } from '../../html.ts';
import { call, form, page, redirect, render, signedIn, type PageCtx, type Web } from '../../context.ts';
import { csrfField, errorPage } from '../../layout.ts';
import { GOVERNANCE_ROLES } from '../../../access/duties.ts';
import { cssLink, errorBox, errorsOf, L, type StepErrors } from './common.ts';

/** Who holds which governance duty in an organisation, and the forms to give and take them (Thai and English role names). */
async function dutiesPage(p: PageCtx, org: string, errors: StepErrors = {}, values: Record<string, string> = {}) {
  if (!signedIn(p)) return redirect(p, `/user/login?came_from=${encodeURIComponent(p.req.url)}`);
  const g = await call<any>(p, 'organization_show', { id: org });
  const rows = await call<any[]>(p, 'duty_list', { id: g.id });
  const base = `/governance/duties/${encodeURIComponent(g.name)}`;
  const body = html`${cssLink()}<h1>${L(p, 'บทบาทด้านธรรมาภิบาลข้อมูล', 'Data governance roles')}: ${g.title || g.name}</h1>
    <p class="hint">${L(p, 'หน้าที่ระดับหน่วยงาน (เจ้าของข้อมูล บริกรข้อมูล ผู้จัดทำข้อมูล) ให้โดยผู้ดูแลหน่วยงาน หน้าที่ระดับส่วนราชการ (CDO, DPO, คณะกรรมการ, ทส., นิติกร) ให้ที่หน่วยงานระดับบนสุดโดยผู้ดูแลหน่วยงานนั้นหรือผู้ดูแลระบบ', 'Organisation duties (owner, steward, creator) are given by the organisation\'s admins; agency duties (CDO, DPO, committee, IT, legal) at the top organisation by its admins or a sysadmin.')}</p>
    <table><thead><tr><th scope="col">${L(p, 'ผู้ใช้', 'User')}</th><th scope="col">${L(p, 'บทบาท', 'Role')}</th><th scope="col">${L(p, 'ให้ไว้ที่', 'Given at')}</th><th scope="col"><span class="visually-hidden">${L(p, 'การดำเนินการ', 'Actions')}</span></th></tr></thead>
      <tbody>${rows.map((r) => html`<tr><td>${r.fullname || r.name} (${r.name})</td><td lang="th">${r.role_label_th}<br><span lang="en">${r.role_label_en}</span></td><td>${r.given_at.title}${r.inherited ? html` <span class="hint">(${L(p, 'สืบจากหน่วยงานแม่', 'from above')})</span>` : ''}</td>
        <td>${r.inherited ? '' : html`<form method="post" action="${base}/remove" class="inline">${csrfField(p)}<input type="hidden" name="username" value="${r.name}"><input type="hidden" name="role" value="${r.role}"><button type="submit" class="link">${L(p, 'ถอน', 'Remove')}</button></form>`}</td></tr>`)}</tbody></table>
    <h2>${L(p, 'มอบบทบาท', 'Give a role')}</h2>
    ${errorBox(p, errors, { username: L(p, 'ชื่อผู้ใช้', 'User name'), role: L(p, 'บทบาท', 'Role') })}
    <form method="post" action="${base}/add" class="inline-form" novalidate>${csrfField(p)}
      <div class="field${errors.username ? ' has-error' : ''}"><label for="duty-user">${L(p, 'ชื่อผู้ใช้', 'User name')}</label><input id="duty-user" name="username" type="text" required value="${values.username ?? ''}"></div>
      <div class="field${errors.role ? ' has-error' : ''}"><label for="duty-role">${L(p, 'บทบาท', 'Role')}</label><select id="duty-role" name="role">${GOVERNANCE_ROLES.map((r) => html`<option value="${r.key}"${values.role === r.key ? html` selected` : ''}>${r.label.th} / ${r.label.en}</option>`)}</select></div>
      <button type="submit">${L(p, 'มอบบทบาท', 'Give')}</button>
    </form>`;
  return render(p, L(p, 'บทบาทด้านธรรมาภิบาลข้อมูล', 'Data governance roles'), body, { breadcrumbs: [[L(p, 'ธรรมาภิบาลข้อมูล', 'Governance'), '/governance'], [g.title || g.name]], noindex: true }, Object.keys(errors).length ? 400 : 200);
}

async function change(p: PageCtx, org: string, op: 'add' | 'remove') {
  if (!signedIn(p)) return errorPage(p, 403);
  const values = { username: String(p.body.username ?? '').trim(), role: String(p.body.role ?? '') };
  try {
    await call(p, op === 'add' ? 'duty_create' : 'duty_delete', { id: org, ...values });
  } catch (e) {
    const errors = errorsOf(p, e);
    if (!errors) throw e;
    return dutiesPage(p, org, errors, values);
  }
  return redirect(p, `/governance/duties/${encodeURIComponent(org)}`);
}

export function dutyRoutes(scope: FastifyInstance, web: Web): void {
  const org = (p: PageCtx) => String((p.req.params as Record<string, string>).org ?? '');
  scope.get('/governance/duties/:org', page(web, (p) => dutiesPage(p, org(p))));
  scope.post('/governance/duties/:org/add', form(web, (p) => change(p, org(p), 'add')));
  scope.post('/governance/duties/:org/remove', form(web, (p) => change(p, org(p), 'remove')));
}
