import type { Lang } from '../../actions/errors.ts';
import { th } from './th.ts';
import { en } from './en.ts';

export type MessageKey = keyof typeof th;
export type Catalog = Record<MessageKey, string>;

const catalogs: Record<Lang, Catalog> = { th, en };

/** Looks a label up in the caller's language; {name} placeholders are filled from params. */
export function t(lang: Lang, key: MessageKey, params: Record<string, string | number> = {}): string {
  const text = catalogs[lang][key] ?? catalogs.th[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, k: string) => (k in params ? String(params[k]) : `{${k}}`));
}

/** A translator bound to one language, for templates. */
export function translator(lang: Lang) {
  return (key: MessageKey, params?: Record<string, string | number>) => t(lang, key, params);
}

export type T = ReturnType<typeof translator>;
