import type { Command } from '../context.ts';
import { withServices } from '../context.ts';
import { parse } from '../args.ts';
import { UsageError } from '../lang.ts';
import { runAction } from '../../actions/registry.ts';
import { SYSTEM } from '../../access/actor.ts';

/** `banchi token create USER`: prints the token alone, so `TOKEN=$(banchi token create admin)` works. */
export const token: Command = async (args, cli) => {
  const [sub, ...rest] = args;
  if (sub !== 'create') throw new UsageError({ th: 'ใช้: banchi token create USER [--name N]', en: 'Usage: banchi token create USER [--name N]' });
  const { values, positionals } = parse(rest, { name: { type: 'string' } }, { min: 1, max: 1 });
  const result = await withServices(cli, (services) =>
    runAction<{ token: string }>(services, 'api_token_create', { user: positionals[0], name: values.name ?? 'cli' }, { actor: SYSTEM, lang: cli.lang }),
  );
  cli.out(result.token);
  return 0;
};
