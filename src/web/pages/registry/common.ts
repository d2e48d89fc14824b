import type { PageCtx } from '../../context.ts';

/** Bilingual labels for the registration pages (Thai first). */
export const L = (p: PageCtx, th: string, en: string) => (p.lang === 'en' ? en : th);

/** A form field that may come once (a string) or many times (ticked boxes). */
export function many(v: unknown): string[] {
  return (Array.isArray(v) ? v : typeof v === 'string' && v ? [v] : []).filter((x): x is string => typeof x === 'string' && !!x).slice(0, 500);
}

export function q(p: PageCtx, key: string, max = 200): string {
  const v = (p.req.query as Record<string, unknown>)[key];
  return typeof v === 'string' ? v.slice(0, max) : '';
}
