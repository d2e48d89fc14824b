import fs from 'node:fs';
import path from 'node:path';
import type { Command } from '../context.ts';
import { configFrom, openStoreFor } from '../context.ts';
import { parse } from '../args.ts';
import { say, UsageError } from '../lang.ts';
import { backupStore } from '../../store/backup.ts';
import { BANCHI_VERSION } from '../../actions/site.ts';
import { AUDIT_KEY_FILE } from '../../actions/audit-key.ts';

/** `banchi backup FILE`: a consistent snapshot of the database and the stored files (src/store/backup.ts). */
export const backup: Command = async (args, cli) => {
  const { positionals } = parse(args, {}, { min: 1, max: 1 });
  const file = path.resolve(positionals[0]!);
  if (fs.existsSync(file)) throw new UsageError({ th: `มีไฟล์ ${file} อยู่แล้ว`, en: `${file} already exists` });
  if (!fs.existsSync(path.dirname(file))) throw new UsageError({ th: `ไม่พบโฟลเดอร์ ${path.dirname(file)}`, en: `No such folder: ${path.dirname(file)}` });
  const config = configFrom(cli);
  // The store as it is: no migration runs, so a backup taken before an upgrade is of the old schema.
  const store = await openStoreFor(config);
  try {
    const started = performance.now();
    // The audit key travels with the log it signed; a key kept outside (BANCHI_AUDIT_KEY_FILE) is the operator's to keep.
    const dataFiles = config.auditKeyFile ? [] : [{ name: AUDIT_KEY_FILE, source: path.join(config.dataDir, AUDIT_KEY_FILE) }];
    const { manifest, bytes } = await backupStore(store, path.join(config.dataDir, 'files'), file, BANCHI_VERSION, dataFiles);
    const rows = manifest.tables.reduce((n, t) => n + t.rows, 0);
    const s = ((performance.now() - started) / 1000).toFixed(1);
    for (const k of manifest.missing_files) cli.err(say(cli.lang, { th: `คำเตือน: ไม่พบไฟล์ ${k} ที่ระเบียนอ้างถึง`, en: `warning: file ${k} named by a row is missing` }));
    cli.out(
      say(cli.lang, {
        th: `สำรองข้อมูลแล้ว: ${manifest.tables.length} ตาราง ${rows} แถว ${manifest.files.length} ไฟล์ (${(bytes / 1e6).toFixed(1)} MB) ใช้เวลา ${s} วินาที → ${file}`,
        en: `backed up ${manifest.tables.length} tables, ${rows} rows, ${manifest.files.length} files (${(bytes / 1e6).toFixed(1)} MB) in ${s} s to ${file}`,
      }),
    );
    return manifest.missing_files.length ? 1 : 0;
  } finally {
    await store.close();
  }
};
