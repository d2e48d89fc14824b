import type { Lang } from '../../actions/errors.ts';
import { th } from './th.ts';
import { en } from './en.ts';

export type MessageKey = keyof typeof th;
export type Catalog = Record<MessageKey, string>;

const catalogs: Record<Lang, Catalog> = { th, en };

/** Looks a label up in the caller's language; {name} placeholders are filled from params. */
export function t(lang: Lang, key: MessageKey, params: Record<string, string | number> = {}): string {
  // Own keys only: a key that came from a request ("constructor") must not find Object's members.
  const text = (Object.hasOwn(catalogs[lang], key) ? catalogs[lang][key] : Object.hasOwn(catalogs.th, key) ? catalogs.th[key] : undefined) ?? key;
  return text.replace(/\{(\w+)\}/g, (_, k: string) => (k in params ? String(params[k]) : `{${k}}`));
}

/** Whether a string from outside (a cookie) names a message of the catalogs. */
export function isMessageKey(key: string): key is MessageKey {
  return Object.hasOwn(catalogs.th, key);
}

/** A translator bound to one language, for templates. */
export function translator(lang: Lang) {
  return (key: MessageKey, params?: Record<string, string | number>) => t(lang, key, params);
}

export type T = ReturnType<typeof translator>;
