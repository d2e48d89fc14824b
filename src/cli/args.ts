import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './lang.ts';

type Options = NonNullable<ParseArgsConfig['options']>;

/** node:util parseArgs, strict, with its complaints turned into usage errors (exit 2). */
export function parse<O extends Options>(args: string[], options: O, positionals: { min: number; max: number }) {
  let parsed;
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError({ th: `ตัวเลือกไม่ถูกต้อง: ${(e as Error).message}`, en: `Bad option: ${(e as Error).message}` });
  }
  if (parsed.positionals.length < positionals.min) throw new UsageError({ th: 'ระบุข้อมูลไม่ครบ', en: 'Missing argument' });
  if (parsed.positionals.length > positionals.max) {
    const extra = parsed.positionals.slice(positionals.max).join(' ');
    throw new UsageError({ th: `มีข้อมูลเกิน: ${extra}`, en: `Unexpected argument: ${extra}` });
  }
  return parsed;
}
