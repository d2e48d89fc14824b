import { html, type Html } from '../../html.ts';
import { call, signedIn, type PageCtx } from '../../context.ts';
import { L } from './common.ts';

interface Status {
  may_submit: boolean;
  may_start: boolean;
  reasons: string[];
  publication: { state: string; case: string; approved: string } | null;
  ready_for_registration: boolean;
  case: { id: string; number: string; state_label: string; open: boolean } | null;
}

/**
 * The dataset page's P1 box for signed-in people: the publication case and its state, and "submit
 * for publication" for a creator or steward when the dataset may enter P1 (the reasons otherwise).
 * Anonymous readers get nothing and cost nothing.
 */
export async function publicationBox(p: PageCtx, d: { id: string; name: string; state?: string }): Promise<Html> {
  if (!signedIn(p) || d.state === 'deleted') return html``;
  let s: Status;
  try {
    s = await call<Status>(p, 'publication_status', { id: d.id });
  } catch {
    return html``;
  }
  if (!s.case && !s.may_start && !s.publication) return html``;
  const pub = s.publication;
  return html`<section class="notice publication-box" aria-labelledby="pub-title">
    <h2 id="pub-title" class="h3">${L(p, 'การอนุมัติเผยแพร่ (P1)', 'Publication approval (P1)')}</h2>
    ${s.case ? html`<p>${L(p, 'เรื่อง', 'Case')} <a href="/governance/cases/${s.case.id}">${s.case.number}</a>: <span class="state-badge${s.case.open ? '' : ' closed'}">${s.case.state_label}</span></p>` : ''}
    ${pub ? html`<p>${pub.state === 'external' ? L(p, 'อนุมัติเผยแพร่ภายนอกแล้ว', 'Approved for external publication') : L(p, 'อนุมัติเผยแพร่ภายในแล้ว', 'Approved for internal publication')}${s.ready_for_registration ? ` · ${L(p, 'พร้อมลงทะเบียนบัญชีข้อมูลภาครัฐ', 'ready for national registration')}` : ''}</p>` : ''}
    ${s.may_submit
      ? html`<p><a class="button" href="/governance/new/publication?dataset=${encodeURIComponent(d.name)}">${L(p, 'ส่งขออนุมัติเผยแพร่', 'Submit for publication')}</a></p>`
      : s.may_start ? html`<p>${L(p, 'ยังส่งขออนุมัติเผยแพร่ไม่ได้', 'Cannot be submitted yet')}: ${s.reasons.join(' · ')}</p>` : ''}
  </section>`;
}
