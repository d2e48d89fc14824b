/** Usage in Thai and English together: an operator may read either. */
export const USAGE = `บัญชี (banchi) — บัญชีข้อมูลหน่วยงาน / Agency Data Catalog

การใช้งาน / Usage: banchi <คำสั่ง/command> [ตัวเลือก/options]

คำสั่ง / Commands:
  serve [--port N] [--host H] [--workers N]
      เปิดเว็บไซต์และ API / run the web portal and the CKAN API
      --workers N: N โปรเซสบนพอร์ตเดียว (ต้องใช้ PostgreSQL) / N app processes on one port (PostgreSQL only)
  migrate
      ปรับโครงสร้างฐานข้อมูลให้เป็นรุ่นล่าสุด / bring the database schema up to date
  user create NAME --email E [--password-stdin] [--sysadmin] [--fullname F]
      สร้างผู้ใช้ อ่านรหัสผ่านจาก stdin (ถ้าไม่ระบุ จะสร้างรหัสผ่านใช้ครั้งเดียวให้)
      create a user; the password is read from stdin (without it a one-time password is printed)
  user reset-link NAME [--mail]
      ออกลิงก์ตั้งรหัสผ่านใหม่ใช้ครั้งเดียว (24 ชั่วโมง) / issue a single-use password reset link (24 hours)
  token create USER [--name N]
      สร้าง API token ให้ผู้ใช้ พิมพ์เฉพาะ token / create an API token and print only the token
  import FILE.jsonl [--org NAME] [--allow-incomplete] [--batch-size N] [--progress]
      นำเข้าชุดข้อมูล (package dict ของ CKAN บรรทัดละหนึ่งรายการ)
      import datasets: one CKAN package dict (as package_show returns it) per line
        --org NAME          หน่วยงานสำหรับรายการที่ไม่มีหน่วยงานหรือหน่วยงานไม่มีในระบบ
                            organisation for records without one, or whose organisation is unknown here
                            (ถ้าไม่ระบุ หน่วยงานใน "organization" ของรายการจะถูกสร้างให้ /
                            without it, a record's "organization" {name,title} is created)
        --allow-incomplete  รายการที่ขาดช่องบังคับจะถูกบันทึกเป็นฉบับร่าง
                            records missing required fields are kept as drafts
        --batch-size N      รายการต่อหนึ่งธุรกรรม (ค่าเริ่มต้น 1000) / records per transaction (default 1000)
        --progress          พิมพ์ความคืบหน้าทาง stderr ทุกชุดที่บันทึกแล้ว (สำหรับ log)
                            print a progress line to stderr after every committed batch (for logs)
      แต่ละชุดบันทึกในธุรกรรมเดียว หากโปรแกรมหยุดกลางคัน ชุดที่บันทึกแล้วยังอยู่ครบ ชุดที่ค้างไม่ถูกบันทึกเลย
      each batch is one transaction: if the process dies, committed batches are complete and the
      batch in flight leaves nothing; run the same file again and existing names are reported
      ค่าที่ไม่อยู่ในรายการที่กำหนดจะย้ายไปช่อง <field>_other และตั้งค่าเป็น "อื่นๆ"
      values outside a code list move to <field>_other and the field becomes "อื่นๆ"
  import TEMPLATE.xlsx --org NAME [--template-org NAME]
      นำเข้าแม่แบบ Excel ของ สสช. (แผ่นงาน Temp2_Meta_* / Temp3_Resource_*) ทั้งไฟล์หรือไม่นำเข้าเลย
      import the national Excel metadata template: every row or none, errors by sheet, row and column
  seed demo
      สร้างข้อมูลตัวอย่าง (หน่วยงาน กลุ่ม ผู้ใช้ ชุดข้อมูล) ซ้ำได้โดยไม่เพิ่มซ้ำ
      load a demo catalog (organisations, groups, users, datasets); safe to run twice
  search reindex
      สร้างดัชนีค้นหาใหม่ทั้งหมด / rebuild the whole search index
  backup FILE.tar
      สำรองฐานข้อมูลและไฟล์ที่อัปโหลดเป็นภาพเดียวที่สอดคล้องกัน (PGlite: หยุดเซิร์ฟเวอร์ก่อน)
      a consistent snapshot of the database and the uploaded files (PGlite: stop the server first;
      PostgreSQL: while it runs)
  restore FILE.tar [--force]
      กู้คืนข้อมูลสำรองลงในโฟลเดอร์ข้อมูลหรือฐานข้อมูลว่าง ตรวจจำนวนแถว ค่าแฮช และห่วงโซ่บันทึกการตรวจสอบ
      restore a backup into an empty data directory or database, checking row counts, hashes and
      the audit chain; PGlite and PostgreSQL backups restore into either
        --force             แทนที่ข้อมูลที่มีอยู่ / replace what the target holds
  audit verify | audit seal
      ตรวจบันทึกตรวจสอบทั้งหมด (ออกด้วยรหัส 1 พร้อมแถวแรกที่ถูกแก้ไข) / check the audit log (exit 1 naming the first tampered row); seal: sign what is final now
  harvest run SOURCE [--full] | harvest jobs [SOURCE]
      เก็บเกี่ยวจากแหล่ง (ทำต่อจากที่ค้าง) / harvest a source to the end (resumes a killed run); jobs: recent runs
  linkcheck [--org ORG]
      ตรวจลิงก์ทรัพยากรข้อมูล (ทั้งหมดหรือของหน่วยงาน) แล้วปรับคะแนนคุณภาพ (ออกด้วยรหัส 1 เมื่อมีลิงก์เสีย) / check resource links (all, or one organisation's) and refresh quality scores (exit 1 when some are broken)
  help
      แสดงวิธีใช้นี้ / show this help

ค่าตั้งจากตัวแปรแวดล้อม / Settings from the environment:
  PORT, HOST            ที่อยู่ของเว็บ / where the server listens (default 127.0.0.1:5000)
  BANCHI_DATA_DIR       ที่เก็บข้อมูลและไฟล์ / data and files directory (default ./data)
  DATABASE_URL          postgres://… ใช้ PostgreSQL แทนฐานข้อมูลฝังตัว (PGlite)
                        use a PostgreSQL server instead of the embedded store (PGlite)
  BANCHI_AUDIT_KEY_FILE กุญแจ Ed25519 ลงนามบันทึกตรวจสอบ / Ed25519 key signing the audit log
                        (default: generated as audit-ed25519.pem in the data directory)
  LANG                  en_* แสดงข้อความภาษาอังกฤษ / English messages (Thai by default)

รหัสออก / Exit codes: 0 สำเร็จ ok · 1 ล้มเหลวบางส่วน partial failure · 2 ใช้คำสั่งผิดหรือค่าตั้งผิด usage or configuration error
`;
