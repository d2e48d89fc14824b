import type { FastifyInstance } from 'fastify';
import { html, type Html } from '../html.ts';
import { call, form, page, redirect, render, signedIn, type PageCtx, type Web } from '../context.ts';
import { csrfField } from '../layout.ts';
import { formatNumber } from '../format.ts';
import { datasetBadges } from '../components/datasets.ts';
import type { PackageDict } from '../components/types.ts';

interface ListRow {
  id: string;
  title: string;
  dataset_count: number;
  contains?: boolean;
}

interface UsageShow {
  months: Array<{ month: string; views: number; downloads: number }>;
}

const enc = encodeURIComponent;
const field = (p: PageCtx, k: string) => (typeof p.body?.[k] === 'string' ? (p.body[k] as string) : '');

/**
 * The dataset page's box: followers, follow / unfollow and "add to list" as plain POST forms (no
 * JavaScript), and the last six months' views and downloads with the numbers in a table.
 */
export async function listsPanel(p: PageCtx, d: PackageDict): Promise<Html> {
  const { t, lang } = p;
  const followers = await call<number>(p, 'dataset_follower_count', { id: d.id });
  const usage = await call<UsageShow>(p, 'usage_stats_show', { id: d.id, months: 6 });
  let mine: Html = html`<p class="muted"><a href="/user/login?came_from=${enc(`/dataset/${d.name}`)}">${t('lists.sign_in_to_follow')}</a></p>`;
  if (signedIn(p) && d.state === 'active') {
    const following = await call<boolean>(p, 'am_following_dataset', { id: d.id });
    const lists = await call<ListRow[]>(p, 'user_list_list', { dataset: d.id });
    const held = lists.filter((l) => l.contains);
    const free = lists.filter((l) => !l.contains);
    mine = html`<form method="post" action="/dataset/${following ? 'unfollow' : 'follow'}/${enc(d.name)}">${csrfField(p)}
        <button type="submit" class="${following ? 'secondary' : ''}">${t(following ? 'lists.unfollow' : 'lists.follow')}</button></form>
      ${held.length ? html`<p>${t('lists.in_lists')}: ${held.map((l, i) => html`${i ? ', ' : ''}<a href="/dashboard/lists/${enc(l.id)}">${l.title}</a>`)}</p>` : ''}
      <form method="post" action="/dataset/list-add/${enc(d.name)}">${csrfField(p)}
        <label for="list-add">${t('lists.add_to')}</label>
        <select id="list-add" name="list_id">${free.map((l) => html`<option value="${l.id}">${l.title}</option>`)}<option value="">${t('lists.new')}…</option></select>
        <label for="list-new" class="visually-hidden">${t('lists.new_title')}</label>
        <input id="list-new" name="title" placeholder="${t('lists.new_title')}" maxlength="200">
        <button type="submit" class="secondary">${t('lists.add')}</button>
      </form>`;
  }
  return html`<section aria-labelledby="lists-title"><h2 id="lists-title">${t('lists.title')}</h2>
    <p>${t('lists.followers', { n: formatNumber(lang, followers) })}</p>
    ${mine}
  </section>
  <section aria-labelledby="usage-box-title"><h2 id="usage-box-title">${t('usage.title')}</h2>
    <table class="data compact"><thead><tr><th scope="col">${t('usage.month')}</th><th scope="col">${t('usage.views')}</th><th scope="col">${t('usage.downloads')}</th></tr></thead>
    <tbody>${usage.months.map((m) => html`<tr><th scope="row">${m.month}</th><td>${formatNumber(lang, m.views)}</td><td>${formatNumber(lang, m.downloads)}</td></tr>`)}</tbody></table>
  </section>`;
}

function datasetItems(p: PageCtx, rows: PackageDict[], remove?: string): Html {
  return html`<ul class="plain">${rows.map((d) => html`<li><a href="/dataset/${enc(d.name)}">${d.title || d.name}</a> ${datasetBadges(p, d)}
    ${remove ? html`<form method="post" action="${remove}" class="inline">${csrfField(p)}<input type="hidden" name="dataset" value="${d.id}"><button type="submit" class="link">${p.t('lists.remove')}<span class="visually-hidden"> ${d.title || d.name}</span></button></form>` : ''}</li>`)}</ul>`;
}

export function listRoutes(app: FastifyInstance, web: Web): void {
  const back = (p: PageCtx, name: string) => redirect(p, `/dataset/${enc(name)}`);
  app.post('/dataset/follow/:id', form(web, async (p) => {
    const d = await call<PackageDict>(p, 'package_show', { id: (p.req.params as { id: string }).id });
    await call(p, 'follow_dataset', { id: d.id });
    return redirect(p, `/dataset/${enc(d.name)}`, 'flash.followed');
  }));
  app.post('/dataset/unfollow/:id', form(web, async (p) => {
    const { id } = p.req.params as { id: string };
    await call(p, 'unfollow_dataset', { id });
    return redirect(p, `/dataset/${enc(id)}`, 'flash.unfollowed');
  }));
  app.post('/dataset/list-add/:id', form(web, async (p) => {
    const d = await call<PackageDict>(p, 'package_show', { id: (p.req.params as { id: string }).id });
    let list = field(p, 'list_id');
    if (!list) list = (await call<ListRow>(p, 'user_list_create', { title: field(p, 'title') })).id;
    await call(p, 'user_list_dataset_add', { id: list, dataset: d.id });
    return back(p, d.name);
  }));

  app.get('/dashboard/lists', page(web, async (p) => {
    const { t, lang } = p;
    if (!signedIn(p)) return redirect(p, '/user/login?came_from=/dashboard/lists');
    const [following, lists] = await Promise.all([call<PackageDict[]>(p, 'dataset_followee_list', {}), call<ListRow[]>(p, 'user_list_list', {})]);
    const body = html`<h1>${t('lists.title')}</h1><p class="muted">${t('lists.intro')}</p>
      <section aria-labelledby="following-title"><h2 id="following-title">${t('lists.following')} (${formatNumber(lang, following.length)})</h2>
        ${following.length ? datasetItems(p, following) : html`<p class="empty">${t('lists.following_none')}</p>`}</section>
      <section aria-labelledby="named-title"><h2 id="named-title">${t('lists.named')}</h2>
        ${lists.length ? html`<ul class="plain">${lists.map((l) => html`<li><a href="/dashboard/lists/${enc(l.id)}">${l.title}</a> <span class="muted">${t('lists.count', { n: formatNumber(lang, l.dataset_count) })}</span></li>`)}</ul>` : html`<p class="empty">${t('lists.none')}</p>`}
        <form method="post" action="/dashboard/lists">${csrfField(p)}
          <label for="new-list">${t('lists.new_title')}</label> <input id="new-list" name="title" required maxlength="200">
          <button type="submit">${t('lists.create')}</button></form></section>`;
    return render(p, t('lists.title'), body, { breadcrumbs: [[t('dashboard.title'), '/dashboard'], [t('lists.title')]], noindex: true });
  }));
  app.post('/dashboard/lists', form(web, async (p) => {
    const l = await call<ListRow>(p, 'user_list_create', { title: field(p, 'title') });
    return redirect(p, `/dashboard/lists/${enc(l.id)}`, 'flash.list_saved');
  }));
  app.get('/dashboard/lists/:lid', page(web, async (p) => {
    const { t, lang } = p;
    if (!signedIn(p)) return redirect(p, '/user/login?came_from=/dashboard/lists');
    const { lid } = p.req.params as { lid: string };
    const l = await call<ListRow & { datasets: PackageDict[] }>(p, 'user_list_show', { id: lid });
    const base = `/dashboard/lists/${enc(l.id)}`;
    const body = html`<h1>${l.title}</h1><p class="muted">${t('lists.count', { n: formatNumber(lang, l.dataset_count) })}</p>
      ${l.datasets.length ? datasetItems(p, l.datasets, `${base}/remove`) : html`<p class="empty">${t('lists.empty')}</p>`}
      <form method="post" action="${base}/rename">${csrfField(p)}<label for="rename">${t('lists.rename')}</label>
        <input id="rename" name="title" value="${l.title}" required maxlength="200"> <button type="submit" class="secondary">${t('lists.rename')}</button></form>
      <form method="post" action="${base}/delete">${csrfField(p)}<button type="submit" class="danger">${t('lists.delete')}</button></form>`;
    return render(p, l.title, body, { breadcrumbs: [[t('dashboard.title'), '/dashboard'], [t('lists.title'), '/dashboard/lists'], [l.title]], noindex: true });
  }));
  app.post('/dashboard/lists/:lid/rename', form(web, async (p) => {
    const l = await call<ListRow>(p, 'user_list_update', { id: (p.req.params as { lid: string }).lid, title: field(p, 'title') });
    return redirect(p, `/dashboard/lists/${enc(l.id)}`, 'flash.list_saved');
  }));
  app.post('/dashboard/lists/:lid/remove', form(web, async (p) => {
    const l = await call<ListRow>(p, 'user_list_dataset_remove', { id: (p.req.params as { lid: string }).lid, dataset: field(p, 'dataset') });
    return redirect(p, `/dashboard/lists/${enc(l.id)}`);
  }));
  app.post('/dashboard/lists/:lid/delete', form(web, async (p) => {
    await call(p, 'user_list_delete', { id: (p.req.params as { lid: string }).lid });
    return redirect(p, '/dashboard/lists', 'flash.list_deleted');
  }));
}
