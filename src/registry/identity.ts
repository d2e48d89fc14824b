import type { HarvestSourceRow } from '../harvest/schema.ts';
import { decodeUriComponentSafe } from '../util/uri.ts';

/**
 * The identity of the dataset a harvested record describes, so the registry holds one source
 * dataset once however many catalogs list it: two harvest sources naming the same catalog (another
 * address form, the API path), or an area catalog's copy (reference_url_catalog names its origin).
 * It is the origin's dataset page address, normalised: lower-case host without a default port or
 * "www.", no scheme, query or trailing slash.
 */
export function sourceKey(source: Pick<HarvestSourceRow, 'url' | 'source_type'>, d: Record<string, unknown>, guid: string): string | null {
  const ref = typeof d.reference_url_catalog === 'string' ? d.reference_url_catalog.trim() : '';
  if (ref) return normalise(ref);
  if (source.source_type === 'dcat') {
    // A DCAT file may name any IRI: it is taken as the dataset's identity only on the source's own
    // host, or a file could claim another agency's dataset and have the genuine one skipped as held.
    const key = /^https?:\/\//i.test(guid) ? normalise(guid) : null;
    const own = normalise(source.url);
    return key && own && hostOf(key) === hostOf(own) ? key : null;
  }
  const name = typeof d.name === 'string' && d.name ? d.name : typeof d.id === 'string' ? d.id : '';
  if (!name) return null;
  const base = source.url.replace(/\/+$/, '').replace(/\/api(\/3)?(\/action)?$/i, '');
  return normalise(`${base}/dataset/${name}`);
}

function normalise(u: string): string | null {
  let url: URL;
  try {
    url = new URL(u);
  } catch {
    return null;
  }
  const host = url.hostname.toLowerCase().replace(/^www\./, '');
  const port = url.port && !((url.protocol === 'http:' && url.port === '80') || (url.protocol === 'https:' && url.port === '443')) ? `:${url.port}` : '';
  // A malformed escape in another catalog's address keeps its raw form: still one key per address.
  const path = (decodeUriComponentSafe(url.pathname) ?? url.pathname).replace(/\/+$/, '');
  return `${host}${port}${path}`;
}

/** The host (and port) part of a normalised key. */
function hostOf(key: string): string {
  const i = key.indexOf('/');
  return i === -1 ? key : key.slice(0, i);
}
