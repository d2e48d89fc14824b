/**
 * decodeURIComponent that never throws: a malformed escape ("%ZZ", a cut UTF-8 sequence such as
 * "%E0%A4%A") gives `undefined`. Addresses come from callers and from other catalogs, and the
 * built-in throws a URIError on them, which an action would otherwise answer as a 500.
 */
export function decodeUriComponentSafe(s: string): string | undefined {
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
}
