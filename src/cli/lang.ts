import type { Lang, Msg } from '../actions/errors.ts';

/** The CLI speaks Thai unless the locale asks for English (LC_ALL, LC_MESSAGES, LANG as POSIX orders them). */
export function cliLang(env: NodeJS.ProcessEnv = process.env): Lang {
  const locale = env.LC_ALL || env.LC_MESSAGES || env.LANG || '';
  return /^en/i.test(locale) ? 'en' : 'th';
}

export function say(lang: Lang, msg: Msg): string {
  return lang === 'en' ? msg.en : msg.th;
}

/** A wrong command line: the CLI prints it with a pointer to `banchi help` and exits 2. */
export class UsageError extends Error {
  readonly msg: Msg;
  constructor(msg: Msg) {
    super(msg.en);
    this.msg = msg;
  }
}
