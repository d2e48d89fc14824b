import fs from 'node:fs';
import path from 'node:path';
import type { Command } from '../context.ts';
import { configFrom, openStoreFor } from '../context.ts';
import { parse } from '../args.ts';
import { say, UsageError } from '../lang.ts';
import { restoreDataFiles, restoreStore, RestoreError, verifyBackup } from '../../store/restore.ts';
import { toCheckpoint, WITNESS_FILE, writeWitness } from '../../actions/audit-seal.ts';

/** `banchi restore FILE [--force]`: a backup into an empty data directory or database (src/store/restore.ts). */
export const restore: Command = async (args, cli) => {
  const { values, positionals } = parse(args, { force: { type: 'boolean' } }, { min: 1, max: 1 });
  const file = positionals[0]!;
  if (!fs.existsSync(file) || !fs.statSync(file).isFile()) throw new UsageError({ th: `ไม่พบไฟล์ ${file}`, en: `File not found: ${file}` });
  const config = configFrom(cli);
  try {
    await verifyBackup(file); // a damaged or foreign file is refused before any store is opened
  } catch (e) {
    cli.err(`banchi: ${(e as Error).message}`);
    return 1;
  }
  const store = await openStoreFor(config);
  try {
    const started = performance.now();
    const r = await restoreStore(store, path.join(config.dataDir, 'files'), file, { force: values.force ?? false });
    if (!config.auditKeyFile) await restoreDataFiles(file, config.dataDir, { force: values.force ?? false });
    // The witness is the restored log's own last checkpoint: one left from before would describe another log.
    fs.rmSync(path.join(config.dataDir, WITNESS_FILE), { force: true });
    const last = await store.db.selectFrom('audit_checkpoints').selectAll().orderBy('batch', 'desc').limit(1).executeTakeFirst();
    if (last) writeWitness(config.dataDir, toCheckpoint(last as unknown as Record<string, unknown>));
    const s = ((performance.now() - started) / 1000).toFixed(1);
    cli.out(
      say(cli.lang, {
        th: `กู้คืนแล้ว: ${r.manifest.tables.length} ตาราง ${r.rows} แถว ${r.files} ไฟล์ จากข้อมูลสำรองเมื่อ ${r.manifest.created} (banchi ${r.manifest.banchi_version}) ใช้เวลา ${s} วินาที ตรวจสอบจำนวนแถว ค่าแฮช และห่วงโซ่บันทึกการตรวจสอบแล้ว`,
        en: `restored ${r.manifest.tables.length} tables, ${r.rows} rows, ${r.files} files from the backup of ${r.manifest.created} (banchi ${r.manifest.banchi_version}) in ${s} s; row counts, hashes and the audit chain verified`,
      }),
    );
    for (const m of r.upgraded) cli.out(say(cli.lang, { th: `ปรับโครงสร้างแล้ว: ${m}`, en: `applied ${m}` }));
    return 0;
  } catch (e) {
    if (e instanceof RestoreError) {
      cli.err(`banchi: ${e.message}`);
      return 1;
    }
    throw e;
  } finally {
    await store.close();
  }
};
