import { html, type Html } from '../html.ts';
import type { PageCtx } from '../context.ts';
import { formatNumber } from '../format.ts';

/** Numbered page links around the current page, with previous/next; plain links, no script. */
export function pagination(p: PageCtx, current: number, pages: number, href: (n: number) => string): Html {
  const { t } = p;
  if (pages <= 1) return html``;
  const last = Math.min(pages, 1000);
  // A page past the end (an old link, a filter that shrank the list) still links back to the last pages.
  const at = Math.min(current, last);
  const nums = new Set<number>([1, last]);
  for (let n = Math.max(1, at - 2); n <= Math.min(last, at + 2); n++) nums.add(n);
  const sorted = [...nums].sort((a, b) => a - b);
  const items: Html[] = [];
  let prev = 0;
  for (const n of sorted) {
    if (n - prev > 1) items.push(html`<li class="gap" aria-hidden="true">…</li>`);
    items.push(
      n === current
        ? html`<li><a href="${href(n)}" aria-current="page" aria-label="${t('pager.page', { n })}">${formatNumber(p.lang, n)}</a></li>`
        : html`<li><a href="${href(n)}" aria-label="${t('pager.page', { n })}">${formatNumber(p.lang, n)}</a></li>`,
    );
    prev = n;
  }
  return html`<nav class="pagination" aria-label="${t('pager.label')}"><ul>
    ${current > 1 ? html`<li><a href="${href(Math.min(current - 1, last))}" rel="prev">${t('pager.prev')}</a></li>` : ''}
    ${items}
    ${current < last ? html`<li><a href="${href(current + 1)}" rel="next">${t('pager.next')}</a></li>` : ''}
  </ul></nav>`;
}
