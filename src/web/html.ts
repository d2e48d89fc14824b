/**
 * HTML templating with escaping on by default: every interpolated value is escaped unless it is
 * itself an Html value (from html`` or raw()). Arrays are joined; null/undefined/false render nothing.
 */
export class Html {
  readonly value: string;
  constructor(value: string) {
    this.value = value;
  }
  toString(): string {
    return this.value;
  }
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;' };

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"'`]/g, (c) => ESCAPES[c]!);
}

function render(v: unknown): string {
  if (v === null || v === undefined || v === false) return '';
  if (v instanceof Html) return v.value;
  if (Array.isArray(v)) return v.map(render).join('');
  return escapeHtml(String(v));
}

export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += render(values[i]) + strings[i + 1]!;
  return new Html(out);
}

/** Trusted markup only (never user input). */
export function raw(s: string): Html {
  return new Html(s);
}

/** Attribute values for URLs: only http(s), mailto, relative paths; anything else becomes '#'. */
export function safeHref(url: string | null | undefined): string {
  if (!url) return '#';
  const u = url.trim();
  if (/^(https?:|mailto:)/i.test(u) || u.startsWith('/') || u.startsWith('?') || u.startsWith('#')) return u;
  return '#';
}
