/** A message in both languages the catalog speaks; the caller's language picks one at the edge. */
export interface Msg {
  th: string;
  en: string;
}

export type Lang = 'th' | 'en';

export type FieldErrors = Record<string, Msg[]>;

/**
 * An object without a prototype: field names come from callers, and a field called
 * "constructor" or "__proto__" must be a plain key, not Object.prototype's member.
 */
export function fieldMap<V>(): Record<string, V> {
  return Object.create(null) as Record<string, V>;
}

/** CKAN "Validation Error" (HTTP 409): field → messages. */
export class ValidationError extends Error {
  override name = 'ValidationError';
  readonly errors: FieldErrors;
  constructor(errors: FieldErrors) {
    super('Validation Error');
    const own = fieldMap<Msg[]>();
    for (const [field, msgs] of Object.entries(errors)) own[field] = msgs;
    this.errors = own;
  }
  static field(field: string, msg: Msg): ValidationError {
    const errors = fieldMap<Msg[]>();
    errors[field] = [msg];
    return new ValidationError(errors);
  }
}

/** CKAN "Not Found Error" (HTTP 404). */
export class NotFoundError extends Error {
  override name = 'NotFoundError';
  readonly msg: Msg;
  constructor(msg: Msg = { th: 'ไม่พบข้อมูล', en: 'Not found' }) {
    super(msg.en);
    this.msg = msg;
  }
}

/** CKAN "Authorization Error" (HTTP 403). */
export class AuthorizationError extends Error {
  override name = 'AuthorizationError';
  readonly msg: Msg;
  constructor(msg: Msg = { th: 'ไม่มีสิทธิ์เข้าถึง', en: 'Access denied' }) {
    super(msg.en);
    this.msg = msg;
  }
}

/** CKAN "Search Query Error" (HTTP 400). */
export class SearchQueryError extends Error {
  override name = 'SearchQueryError';
  readonly msg: Msg;
  constructor(detail: string) {
    super(`Search Query is invalid: ${JSON.stringify(detail)}`);
    this.msg = { th: `คำค้นไม่ถูกต้อง: ${detail}`, en: `Search Query is invalid: ${JSON.stringify(detail)}` };
  }
}

/** A bad request that CKAN answers with a bare JSON string, not the envelope (HTTP 400). */
export class BadRequestError extends Error {
  override name = 'BadRequestError';
}

export function pick(msg: Msg, lang: Lang): string {
  return lang === 'en' ? msg.en : msg.th;
}

export function localizeErrors(errors: FieldErrors, lang: Lang): Record<string, string[]> {
  const out = fieldMap<string[]>();
  for (const [field, msgs] of Object.entries(errors)) out[field] = msgs.map((m) => pick(m, lang));
  return out;
}

/** Collects field errors while an action checks its input, then throws them together. */
export class ErrorBag {
  readonly errors: FieldErrors = fieldMap<Msg[]>();
  add(field: string, msg: Msg): void {
    (this.errors[field] ??= []).push(msg);
  }
  has(field?: string): boolean {
    return field ? Object.hasOwn(this.errors, field) : Object.keys(this.errors).length > 0;
  }
  throwIfAny(): void {
    if (this.has()) throw new ValidationError(this.errors);
  }
}
