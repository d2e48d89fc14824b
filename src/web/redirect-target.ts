/**
 * Where a redirect may go: the one check every redirect of the portal passes through (came_from at
 * sign-in, OpenID Connect, 2FA steps, the language switch's `next`, every post/redirect/get).
 *
 * The target is resolved with the WHATWG URL parser, the one browsers use, against the site's
 * origin, and must stay on that origin. So a TAB or newline (which the parser drops: "/\t/evil"
 * becomes "//evil"), a backslash ("/\evil" is "//evil" for http URLs), scheme URLs and
 * protocol-relative ones all fall back, instead of passing a hand-written prefix check. Only the
 * parsed path, query and fragment are returned: ASCII, percent-encoded, never a header-splitting
 * character, so the Location header cannot fail (no 500 for non-ASCII input either).
 */
const MAX_TARGET = 2000;
/** Used when no site origin is given; any fixed origin gives the same answer for local paths. */
const DEFAULT_ORIGIN = 'http://banchi.invalid';

export function safeLocal(to: unknown, fallback = '/', siteOrigin: string = DEFAULT_ORIGIN): string {
  if (typeof to !== 'string' || to === '' || to.length > MAX_TARGET) return fallback;
  // Control characters are never part of a link a person followed: refuse rather than repair.
  if (/[\x00-\x1f\x7f]/.test(to)) return fallback;
  let base: URL;
  let target: URL;
  try {
    base = new URL(siteOrigin);
    target = new URL(to, base.origin);
  } catch {
    return fallback;
  }
  if (target.origin !== base.origin || target.username || target.password) return fallback;
  const out = `${target.pathname}${target.search}${target.hash}`;
  // The parser never yields these for an http(s) URL on this origin; checked so a change there cannot open a hole.
  if (!out.startsWith('/') || out.startsWith('//') || out.length > MAX_TARGET * 3) return fallback;
  return out;
}
