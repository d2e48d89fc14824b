import { html, type Html } from '../html.ts';
import { orgMark } from './org-mark.ts';
import type { PageCtx } from '../context.ts';
import { formatNumber, summary } from '../format.ts';
import type { GroupDict } from './types.ts';

export function groupCards(p: PageCtx, list: GroupDict[], kind: 'organization' | 'group', headingLevel: 2 | 3 = 2): Html {
  const { t } = p;
  if (!list.length) return html`<p class="empty">${t(kind === 'organization' ? 'org.none' : 'group.none')}</p>`;
  return html`<ul class="cards">${list.map((g) => {
    const link = html`<a href="/${kind}/${encodeURIComponent(g.name)}">${g.title || g.name}</a>`;
    return html`<li class="card">
      ${orgMark(g)}
      <div>
        ${headingLevel === 2 ? html`<h2>${link}</h2>` : html`<h3>${link}</h3>`}
        ${g.description ? html`<p>${summary(g.description, 120)}</p>` : ''}
        <p class="muted">${t('org.dataset_count', { n: formatNumber(p.lang, Number(g.package_count ?? 0)) })}</p>
      </div>
    </li>`;
  })}</ul>`;
}
