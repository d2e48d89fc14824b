import type { Command } from '../context.ts';
import { withServices } from '../context.ts';
import { parse } from '../args.ts';
import { say, UsageError } from '../lang.ts';
import { progress } from '../progress.ts';
import { reindexAll } from '../../search/reindex.ts';

/** `banchi search reindex`: rebuilds every search row (the rows are normally written with each change). */
export const search: Command = async (args, cli) => {
  const [sub, ...rest] = args;
  if (sub !== 'reindex') throw new UsageError({ th: 'ใช้: banchi search reindex', en: 'Usage: banchi search reindex' });
  parse(rest, {}, { min: 0, max: 0 });
  return withServices(cli, async (services) => {
    const started = performance.now();
    let bar: ReturnType<typeof progress> | undefined;
    const n = await reindexAll(services, (done, total) => {
      bar ??= progress(total, say(cli.lang, { th: 'สร้างดัชนี', en: 'reindex' }));
      bar.update(done);
    });
    bar?.stop();
    const s = ((performance.now() - started) / 1000).toFixed(1);
    cli.out(say(cli.lang, { th: `สร้างดัชนีค้นหาใหม่ ${n} ชุดข้อมูล ใช้เวลา ${s} วินาที`, en: `reindexed ${n} datasets in ${s} s` }));
    return 0;
  });
};
