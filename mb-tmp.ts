import crypto from 'node:crypto';
const rows = Array.from({ length: 200000 }, (_, i) => JSON.parse(JSON.stringify({ at: new Date(i * 1e9).toISOString(), actor_id: null, actor_name: 'system', action: 'bench_write', object_type: 'dataset', object_id: null, ip: '203.0.113.9', detail: { name: `dataset-${i}`, version: i, fields: ['title', 'notes', 'tags'] } })));
for (const r of rows) r.detail = { name: r.detail.name, fields: r.detail.fields, version: r.detail.version }; // jsonb order
function v1(v: any): string {
  if (v === null || typeof v !== 'object') return v === undefined ? 'null' : JSON.stringify(v);
  if (Array.isArray(v)) { let out = '['; for (let i = 0; i < v.length; i++) out += (i ? ',' : '') + v1(v[i]); return out + ']'; }
  const keys = Object.keys(v);
  for (let i = 1; i < keys.length; i++) if (keys[i - 1]! > keys[i]!) { keys.sort(); break; }
  let out = '{'; let first = true;
  for (const k of keys) { const x = v[k]; if (x === undefined) continue; out += (first ? '' : ',') + JSON.stringify(k) + ':' + v1(x); first = false; }
  return out + '}';
}
function collect(v: any, keys: Set<string>) { if (Array.isArray(v)) { for (const x of v) if (x !== null && typeof x === 'object') collect(x, keys); return; } for (const k in v) { keys.add(k); const x = v[k]; if (x !== null && typeof x === 'object') collect(x, keys); } }
function v2(v: any): string { if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null'; const keys = new Set<string>(); collect(v, keys); return JSON.stringify(v, [...keys].sort()); }
// v3: scalar-only arrays fast path via JSON.stringify; objects sorted manually
function v3(v: any): string {
  if (v === null || typeof v !== 'object') return v === undefined ? 'null' : JSON.stringify(v);
  if (Array.isArray(v)) { let flat = true; for (const x of v) if (x !== null && typeof x === 'object') { flat = false; break; } if (flat) return JSON.stringify(v); let out = '['; for (let i = 0; i < v.length; i++) out += (i ? ',' : '') + v3(v[i]); return out + ']'; }
  const keys = Object.keys(v);
  for (let i = 1; i < keys.length; i++) if (keys[i - 1]! > keys[i]!) { keys.sort(); break; }
  let out = '{'; let first = true;
  for (const k of keys) { const x = v[k]; if (x === undefined) continue; out += (first ? '"' : ',"') + (/["\\\u0000-\u001f]/.test(k) ? JSON.stringify(k).slice(1, -1) : k) + '":' + v3(x); first = false; }
  return out + '}';
}
const time = (name: string, f: () => void) => { const c = process.cpuUsage(); f(); const u = process.cpuUsage(c); console.log(name, ((u.user + u.system) / 1000).toFixed(0), 'ms cpu'); };
for (let round = 0; round < 2; round++) {
  time('v1', () => { for (const r of rows) v1(r.detail); });
  time('v2', () => { for (const r of rows) v2(r.detail); });
  time('v3', () => { for (const r of rows) v3(r.detail); });
  const strs = rows.map((r) => JSON.stringify(r));
  time('crypto.hash hex', () => { for (const s of strs) crypto.hash('sha256', s, 'hex'); });
  time('crypto.hash buf', () => { for (const s of strs) crypto.hash('sha256', s, 'buffer'); });
  time('createHash', () => { for (const s of strs) crypto.createHash('sha256').update(s).digest('hex'); });
  const b = Buffer.alloc(65);
  time('node hash 65B', () => { for (let i = 0; i < 200000; i++) crypto.hash('sha256', b, 'buffer'); });
  time('hex->buf', () => { for (const s of strs) Buffer.from('ab'.repeat(32), 'hex'); });
}
