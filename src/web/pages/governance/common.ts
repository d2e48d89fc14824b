import type { FastifyInstance } from 'fastify';
import { localizeErrors, ValidationError } from '../../../actions/errors.ts';
import { html, type Html } from '../../html.ts';
import type { PageCtx, Web } from '../../context.ts';
import { runAction } from '../../../actions/registry.ts';

/** Both languages inline: the governance pages keep their texts beside the markup (one module, no catalog churn). */
export function L(p: Pick<PageCtx, 'lang'>, th: string, en: string): string {
  return p.lang === 'en' ? en : th;
}

export type StepErrors = Record<string, string[]>;

export function errorsOf(p: PageCtx, e: unknown): StepErrors | null {
  return e instanceof ValidationError ? (localizeErrors(e.errors, p.lang) as StepErrors) : null;
}

export interface InputView {
  name: string;
  type: string;
  label: string;
  required: boolean;
  required_when?: string;
  max?: number;
  options?: { value: string; label: string }[];
}

/** One step input as a form control, with its field errors beside it (ids prefixed per form). */
export function inputControl(prefix: string, i: InputView, value: unknown, errors: StepErrors): Html {
  const id = `${prefix}-${i.name}`;
  const errs = errors[i.name] ?? [];
  const described = errs.length ? html` aria-invalid="true" aria-describedby="${id}-err"` : '';
  const req = i.required ? html` required` : '';
  const star = i.required ? html` <span class="required" aria-hidden="true">*</span>` : i.required_when ? html` <span class="hint">(${i.required_when})</span>` : '';
  const err = errs.length ? html`<p class="field-error" id="${id}-err">${errs.join(' ')}</p>` : '';
  const v = value === undefined || value === null ? '' : Array.isArray(value) ? value.join('\n') : String(value);
  let control: Html;
  switch (i.type) {
    case 'enum':
      control = html`<select id="${id}" name="${i.name}"${req}${described}><option value="">—</option>${(i.options ?? []).map((o) => html`<option value="${o.value}"${o.value === v ? html` selected` : ''}>${o.label}</option>`)}</select>`;
      break;
    case 'text':
      control = html`<textarea id="${id}" name="${i.name}" rows="3"${i.max ? html` maxlength="${i.max}"` : ''}${req}${described}>${v}</textarea>`;
      break;
    case 'string_list':
      control = html`<textarea id="${id}" name="${i.name}" rows="3"${req}${described}>${v}</textarea><p class="hint">หนึ่งรายการต่อบรรทัด / one item per line</p>`;
      break;
    case 'boolean':
      return html`<div class="field${errs.length ? ' has-error' : ''}"><label><input type="checkbox" id="${id}" name="${i.name}" value="true"${v === 'true' ? html` checked` : ''}${described}> ${i.label}</label>${err}</div>`;
    default: {
      const type = i.type === 'email' ? 'email' : i.type === 'date' ? 'date' : i.type === 'integer' ? 'number' : 'text';
      const extra = i.type === 'thai_id' ? html` inputmode="numeric" pattern="[0-9 -]{13,17}" autocomplete="off"` : i.type === 'integer' ? html` inputmode="numeric" min="0"` : '';
      control = html`<input id="${id}" name="${i.name}" type="${type}" value="${v}"${extra}${req}${described}>`;
    }
  }
  return html`<div class="field${errs.length ? ' has-error' : ''}"><label for="${id}">${i.label}${star}</label>${err}${control}</div>`;
}

/** Form fields → step inputs typed as the definition says (lists from lines, integers, booleans). */
export function readInputs(body: Record<string, unknown>, inputs: readonly InputView[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const i of inputs) {
    const raw = body[i.name];
    const s = typeof raw === 'string' ? raw.trim() : Array.isArray(raw) ? raw.map(String).join('\n') : '';
    if (i.type === 'boolean') {
      if (raw !== undefined) out[i.name] = s === 'true' || s === 'on';
      continue;
    }
    if (!s) continue;
    if (i.type === 'string_list') out[i.name] = s.split(/\r?\n/).map((x) => x.trim()).filter(Boolean);
    else if (i.type === 'integer') out[i.name] = /^\d{1,15}$/.test(s) ? Number(s) : s;
    else out[i.name] = s;
  }
  return out;
}

export function errorBox(p: PageCtx, errors: StepErrors, labels: Record<string, string>): Html {
  const keys = Object.keys(errors).filter((k) => k !== 'next');
  if (!keys.length) return html``;
  return html`<div class="notice notice-error" role="alert" tabindex="-1"><p><strong>${L(p, 'กรุณาแก้ไขข้อมูลต่อไปนี้', 'Please correct the following')}</strong></p>
    <ul>${keys.map((k) => html`<li>${labels[k] ? html`<strong>${labels[k]}</strong>: ` : ''}${errors[k]!.join(' ')}</li>`)}</ul></div>`;
}

/** The governance pages' own stylesheet (the portal's CSP allows only same-origin styles), screen and print. */
const CSS = `
.gov-tabs { display: flex; gap: .5rem; flex-wrap: wrap; list-style: none; padding: 0; margin: 0 0 1rem; }
.gov-tabs a { display: inline-block; padding: .35rem .8rem; border: 1px solid #c8cdd8; border-radius: 999px; text-decoration: none; }
.gov-tabs a[aria-current=page] { background: #0b6e4f; color: #fff; border-color: #0b6e4f; }
.state-badge { display: inline-block; padding: .1rem .55rem; border-radius: 4px; background: #e3f4ec; color: #0b4d2a; font-weight: 600; font-size: .92rem; }
.state-badge.closed { background: #eef0f4; color: #1b2233; }
.diagram-wrap { overflow-x: auto; border: 1px solid #d8dce4; border-radius: 6px; padding: .5rem; background: #fbfcfd; margin: 1rem 0; }
.diagram-wrap svg { max-width: none; height: auto; }
.timeline { list-style: none; padding: 0; border-left: 3px solid #0b6e4f; margin: 1rem 0 1rem .5rem; }
.timeline li { position: relative; padding: 0 0 1rem 1rem; }
.timeline li::before { content: ""; position: absolute; left: -.55rem; top: .35rem; width: .8rem; height: .8rem; border-radius: 50%; background: #0b6e4f; }
.timeline dl { display: grid; grid-template-columns: max-content 1fr; gap: .1rem .8rem; margin: .3rem 0 0; font-size: .95rem; }
.timeline dt { font-weight: 600; }
.step-forms { display: grid; gap: 1rem; grid-template-columns: repeat(auto-fill, minmax(20rem, 1fr)); }
.step-form { border: 1px solid #c8cdd8; border-radius: 6px; padding: 1rem; }
.step-form h3 { margin-top: 0; }
.inbox li.unread { font-weight: 600; }
.required { color: #b42318; }
.hint { color: #44506a; font-size: .9rem; margin: .2rem 0; }
.paper-form { max-width: 50rem; border: 1px solid #1b2233; padding: 1.5rem 2rem; background: #fff; }
.paper-form header { display: flex; justify-content: space-between; border-bottom: 2px solid #1b2233; margin-bottom: 1rem; }
.paper-form h2 { font-size: 1.1rem; border-bottom: 1px solid #1b2233; margin: 1.2rem 0 .5rem; }
.paper-form table { width: 100%; border-collapse: collapse; }
.paper-form th, .paper-form td { border: 1px solid #5b6478; padding: .3rem .5rem; vertical-align: top; text-align: left; }
.paper-form th { width: 35%; font-weight: 600; }
.paper-form .sign { margin-top: 2rem; display: grid; grid-template-columns: 1fr 1fr; gap: 2rem; }
.paper-form .sign p { border-top: 1px dotted #1b2233; padding-top: .3rem; text-align: center; }
@media print {
  @page { size: A4; margin: 2cm 2cm 2cm 3cm; }
  body { font-family: "TH Sarabun New", Sarabun, sans-serif; font-size: 14pt; color: #000; background: #fff; }
  .site-header, .site-footer, .skip-link, .breadcrumb, .no-print, .flash { display: none !important; }
  main { padding: 0; margin: 0; max-width: none; }
  .paper-form { border: none; padding: 0; max-width: none; }
  .paper-form h2 { break-after: avoid; }
  .paper-form table { break-inside: avoid; }
  a { color: #000; text-decoration: none; }
}
`;

export const GOV_CSS_PATH = '/governance/governance.css';

export function cssLink(): Html {
  return html`<link rel="stylesheet" href="${GOV_CSS_PATH}">`;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Unread inbox notifications of the signed-in caller, for the header badge. */
    inboxUnread?: number;
  }
}

/**
 * The stylesheet route and the header's inbox count: one indexed count per page for signed-in
 * people, through the same action the inbox uses.
 */
export function governanceCommon(scope: FastifyInstance, web: Web): void {
  scope.get(GOV_CSS_PATH, async (_req, reply) => reply.type('text/css; charset=utf-8').header('Cache-Control', 'public, max-age=3600').send(CSS));
  scope.addHook('preHandler', async (req) => {
    const actor = req.sessionActor;
    if (actor?.kind !== 'user' || req.method !== 'GET' || req.url.startsWith('/static/')) return;
    try {
      req.inboxUnread = await runAction<number>(web.services, 'notification_count', {}, { actor });
    } catch {
      /* the badge is a courtesy; the page still renders */
    }
  });
}
