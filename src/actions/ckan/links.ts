/**
 * One rule for "is this resource a file of ours": only a stored file (storage_key) is an upload.
 * A record harvested from another CKAN (data.go.th) says `url_type: "upload"` about a file that
 * lives on that catalog; here it is a link to it. Import, package_create/update and every dict
 * and page use this rule, so a foreign "upload" is never offered as a download of this server.
 */

const ABSOLUTE = /^https?:\/\//i;

/** True when a resource input claims an upload that can only be somebody else's file. */
export function isForeignUpload(res: Record<string, unknown>, siteUrl?: string): boolean {
  if (res.url_type !== 'upload' || typeof res.url !== 'string' || !ABSOLUTE.test(res.url)) return false;
  // Our own download URL echoed back (package_update of a resource_show dict) is judged by its row.
  if (siteUrl && res.url.startsWith(`${siteUrl.replace(/\/+$/, '')}/`)) return false;
  return true;
}

/** The resource input with a foreign upload turned into a link (url_type cleared, as CKAN stores links). */
export function asLink<T extends Record<string, unknown>>(res: T, siteUrl?: string): T {
  return isForeignUpload(res, siteUrl) ? { ...res, url_type: null } : res;
}

const isEmpty = (v: unknown, strings: boolean) => v === null || (strings && v === '') || (Array.isArray(v) && v.length === 0);

/**
 * What package_create/update read from a CKAN client's dict: empty values (null, "", []) are the
 * same as a key left out, as package_show returns every key (a client echoes them back, also for
 * a draft that may be incomplete), and foreign uploads are links. `resources: []` and `groups: []`
 * keep their meaning (remove all): for those, leaving the key out means "keep".
 */
export function clientPackageInput(input: Record<string, unknown>, siteUrl?: string, opts: { emptyStrings?: boolean } = {}): Record<string, unknown> {
  // On create, "" is a value the caller typed (a form's empty field: its error is shown at once);
  // on update, an echoed package_show dict carries "" for what a draft has not filled in yet.
  const strings = opts.emptyStrings ?? true;
  const out: Record<string, unknown> = Object.create(null);
  for (const [k, v] of Object.entries(input)) if (k === 'resources' || k === 'groups' ? v !== null : !isEmpty(v, strings)) out[k] = v;
  if (Array.isArray(out.resources)) {
    out.resources = out.resources.map((r) => {
      if (!r || typeof r !== 'object' || Array.isArray(r)) return r;
      const res: Record<string, unknown> = Object.create(null);
      for (const [k, v] of Object.entries(r as Record<string, unknown>)) if (!isEmpty(v, strings)) res[k] = v;
      return asLink(res, siteUrl);
    });
  }
  return out;
}

/** The url_type a stored row is presented with: "upload" only for a file this server holds. */
export function presentedUrlType(row: { url_type: string | null; storage_key: string | null }): string | null {
  if (row.storage_key) return 'upload';
  return row.url_type === 'upload' ? null : row.url_type;
}

/** Where a link resource's download route may send a browser: http(s) only, never javascript: or data:. */
export function redirectTarget(url: unknown): string | null {
  if (typeof url !== 'string' || !ABSOLUTE.test(url.trim())) return null;
  try {
    const u = new URL(url.trim());
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : null;
  } catch {
    return null;
  }
}
