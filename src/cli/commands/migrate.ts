import type { Command } from '../context.ts';
import { configFrom } from '../context.ts';
import { parse } from '../args.ts';
import { say } from '../lang.ts';
import { openStore } from '../../store/db.ts';
import { migrateToLatest } from '../../store/migrate.ts';

export const migrate: Command = async (args, cli) => {
  parse(args, {}, { min: 0, max: 0 });
  const config = configFrom(cli);
  const store = await openStore({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  try {
    const applied = await migrateToLatest(store.db);
    if (!applied.length) cli.out(say(cli.lang, { th: 'ฐานข้อมูลเป็นรุ่นล่าสุดแล้ว', en: 'The database is up to date' }));
    for (const name of applied) cli.out(say(cli.lang, { th: `ปรับโครงสร้างแล้ว: ${name}`, en: `applied ${name}` }));
  } finally {
    await store.close();
  }
  return 0;
};
