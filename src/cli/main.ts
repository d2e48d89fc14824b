import { USAGE } from './help.ts';
import { cliLang, say, UsageError } from './lang.ts';
import type { Cli, Command } from './context.ts';
import { ConfigError } from '../config.ts';
import { StoreBusyError } from '../store/db.ts';
import { AuthorizationError, NotFoundError, ValidationError } from '../actions/errors.ts';
import { BANCHI_VERSION } from '../actions/site.ts';

/** Commands load on demand, so `banchi help` does not open a database or load the web portal. */
const COMMANDS: Record<string, () => Promise<Command>> = {
  serve: async () => (await import('./commands/serve.ts')).serve,
  migrate: async () => (await import('./commands/migrate.ts')).migrate,
  user: async () => (await import('./commands/user.ts')).user,
  token: async () => (await import('./commands/token.ts')).token,
  import: async () => (await import('./commands/import.ts')).importCommand,
  seed: async () => (await import('./commands/seed.ts')).seed,
  search: async () => (await import('./commands/search.ts')).search,
  backup: async () => (await import('./commands/backup.ts')).backup,
  restore: async () => (await import('./commands/restore.ts')).restore,
  audit: async () => (await import('./commands/audit.ts')).audit,
  harvest: async () => (await import('./commands/harvest.ts')).harvest,
  linkcheck: async () => (await import('./commands/linkcheck.ts')).linkcheck,
};

/** Runs one command line and returns the exit code: 0 ok, 1 (partial) failure, 2 usage or configuration error. */
export async function main(argv: string[], cli: Cli): Promise<number> {
  const [name, ...args] = argv;
  if (!name || name === 'help' || name === '--help' || name === '-h' || args.includes('--help') || args.includes('-h')) {
    cli.out(USAGE);
    return 0;
  }
  if (name === '--version' || name === 'version') {
    cli.out(BANCHI_VERSION);
    return 0;
  }
  const load = COMMANDS[name];
  try {
    if (!load) throw new UsageError({ th: `ไม่รู้จักคำสั่ง "${name}"`, en: `Unknown command "${name}"` });
    return await (await load())(args, cli);
  } catch (e) {
    return report(e, cli);
  }
}

function report(e: unknown, cli: Cli): number {
  const { lang } = cli;
  if (e instanceof UsageError) {
    cli.err(`banchi: ${say(lang, e.msg)}`);
    cli.err(say(lang, { th: 'ดูวิธีใช้: banchi help', en: 'See: banchi help' }));
    return 2;
  }
  if (e instanceof ConfigError || e instanceof StoreBusyError) {
    cli.err(`banchi: ${say(lang, e.msg)}`);
    return 2;
  }
  if (e instanceof ValidationError) {
    for (const [field, msgs] of Object.entries(e.errors)) cli.err(`banchi: ${field}: ${msgs.map((m) => say(lang, m)).join(', ')}`);
    return 1;
  }
  if (e instanceof AuthorizationError || e instanceof NotFoundError) {
    cli.err(`banchi: ${say(lang, e.msg)}`);
    return 1;
  }
  cli.err(`banchi: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  return 1;
}

/** The process entry: bin/banchi.js calls this, and so does `node src/cli/main.ts`. */
export async function runFromProcess(): Promise<void> {
  const cli: Cli = {
    lang: cliLang(),
    env: process.env,
    out: (line) => void process.stdout.write(`${line}\n`),
    err: (line) => void process.stderr.write(`${line}\n`),
  };
  const code = await main(process.argv.slice(2), cli);
  process.exitCode = code;
  // Leave even if a library keeps a handle open; stdout and stderr are synchronous on files and pipes.
  setImmediate(() => process.exit(code));
}

if (import.meta.main) await runFromProcess();
