import type { Command } from '../context.ts';
import { withServices } from '../context.ts';
import { parse } from '../args.ts';
import { say, UsageError } from '../lang.ts';
import { progress, type Progress } from '../progress.ts';
import { runAction } from '../../actions/registry.ts';
import { SYSTEM } from '../../access/actor.ts';
import { runHarvest, type JobDict } from '../../harvest/run.ts';

const USAGE = { th: 'ใช้: banchi harvest run SOURCE [--full] | banchi harvest jobs [SOURCE]', en: 'Usage: banchi harvest run SOURCE [--full] | banchi harvest jobs [SOURCE]' };

/** `banchi harvest run SOURCE`: runs (or resumes) one source to the end here; `banchi harvest jobs`: recent runs. */
export const harvest: Command = async (args, cli) => {
  const [sub, ...rest] = args;
  if (sub === 'run') {
    const { values, positionals } = parse(rest, { full: { type: 'boolean' } }, { min: 1, max: 1 });
    return withServices(cli, async (services) => {
      let bar: Progress | undefined;
      let logged = -1;
      const job = await runHarvest(services, positionals[0]!, {
        full: values.full === true,
        onProgress: (j: JobDict) => {
          const total = j.progress.total || j.progress.objects;
          bar ??= progress(Math.max(total, 1), say(cli.lang, { th: 'เก็บเกี่ยว', en: 'harvest' }));
          bar.update(j.progress.done, { note: `${j.status} +${j.stats.added} ~${j.stats.updated} =${j.stats['not modified']} !${j.stats.errored} -${j.stats.deleted}` });
          // Without a terminal: one line per step, so a supervising process sees progress.
          if (!process.stdout.isTTY && j.progress.done !== logged) {
            logged = j.progress.done;
            cli.err(`progress ${j.progress.done}/${total} ${j.status}`);
          }
        },
      });
      bar?.stop();
      const s = job.stats;
      cli.out(
        say(cli.lang, {
          th: `รอบ ${job.id}: ${job.status}${job.failed ? ' (ล้มเหลว)' : ''} เพิ่ม ${s.added} ปรับปรุง ${s.updated} ไม่เปลี่ยนแปลง ${s['not modified']} ผิดพลาด ${s.errored} ถอนออก ${s.deleted}`,
          en: `job ${job.id}: ${job.status}${job.failed ? ' (failed)' : ''} added ${s.added} updated ${s.updated} not modified ${s['not modified']} errored ${s.errored} deleted ${s.deleted}`,
        }),
      );
      return job.failed || job.aborted ? 1 : 0;
    });
  }
  if (sub === 'jobs') {
    const { positionals } = parse(rest, {}, { min: 0, max: 1 });
    return withServices(cli, async (services) => {
      const sources = positionals[0] ? [{ id: positionals[0] }] : await runAction<Array<{ id: string }>>(services, 'harvest_source_list', {}, { actor: SYSTEM });
      for (const src of sources) {
        const jobs = await runAction<Array<JobDict & { source_id: string }>>(services, 'harvest_job_list', { source_id: src.id, limit: 20 }, { actor: SYSTEM });
        for (const j of jobs) {
          const s = j.stats;
          cli.out([j.id, j.source_id, j.status + (j.failed ? '/failed' : j.aborted ? '/aborted' : ''), j.created, `${j.progress.done}/${j.progress.total}`, `added=${s.added}`, `updated=${s.updated}`, `not_modified=${s['not modified']}`, `errored=${s.errored}`, `deleted=${s.deleted}`].join('\t'));
        }
      }
      return 0;
    });
  }
  throw new UsageError(USAGE);
};
