import { html, type Html } from '../../html.ts';
import type { PageCtx } from '../../context.ts';

export const L = (p: PageCtx, th: string, en: string) => (p.lang === 'en' ? en : th);

const BADGE: Record<string, string> = { pass: 'badge-open', partial: 'badge-shared', fail: 'badge-private' };

/** pass / partial / fail as a badge with words, never colour alone. */
export function outcome(p: PageCtx, result: string): Html {
  const text = result === 'pass' ? L(p, 'ผ่าน', 'Pass') : result === 'partial' ? L(p, 'ผ่านบางส่วน', 'Partial') : L(p, 'ไม่ผ่าน', 'Fail');
  return html`<span class="badge ${BADGE[result] ?? ''}">${text}</span>`;
}

export function scoreText(p: PageCtx, score: number | null): Html {
  return score === null ? html`<span class="badge">${L(p, 'กำลังคำนวณ', 'Pending')}</span>` : html`<strong>${String(score)}</strong>/100`;
}
