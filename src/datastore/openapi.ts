import type { ResourceRow } from '../store/schema.ts';
import type { DsField } from './meta.ts';
import type { ColumnType } from './types.ts';

const SCHEMA: Record<ColumnType, Record<string, unknown>> = {
  int: { type: 'integer' }, numeric: { type: 'number' }, date: { type: 'string', format: 'date' }, timestamp: { type: 'string', format: 'date-time' },
  bool: { type: 'boolean' }, time: { type: 'string', format: 'time' }, json: {}, text: { type: 'string' },
};

/** An OpenAPI 3.0 document for one resource's endpoint: what an agency hands a partner instead of writing docs. */
export function openApiFor(siteUrl: string, resource: ResourceRow, fields: DsField[]): Record<string, unknown> {
  const props = Object.fromEntries([['_id', { type: 'integer', description: 'row number' }], ...fields.map((f) => [f.id, { ...SCHEMA[f.type], title: f.label, description: [f.description_th, f.description_en, f.unit && `(${f.unit})`].filter(Boolean).join(' — ') }])]);
  const ids = fields.map((f) => f.id);
  const q = (name: string, description: string, schema: Record<string, unknown> = { type: 'string' }) => ({ name, in: 'query', required: false, description, schema });
  return {
    openapi: '3.0.3',
    info: { title: resource.name || resource.id, description: `${resource.description || ''}\n\nตาราง DataStore ของทรัพยากร ${resource.id} (DataStore table of resource ${resource.id}).`.trim(), version: '1' },
    servers: [{ url: siteUrl }],
    components: {
      securitySchemes: { resourceKey: { type: 'apiKey', in: 'header', name: 'Authorization', description: 'a key scoped to this resource (banchi_ds_…) or a user API token' } },
      schemas: { Record: { type: 'object', properties: props } },
    },
    security: [{ resourceKey: [] }, {}],
    paths: {
      [`/api/datastore/${resource.id}`]: {
        get: {
          summary: 'ค้นหาแถว (search rows)',
          parameters: [
            ...fields.map((f) => q(f.id, `กรองตาม ${f.label} (filter: exact value)`, SCHEMA[f.type].type ? { type: SCHEMA[f.type].type } : { type: 'string' })),
            q('q', 'คำค้น (full-text words, Thai segmented)'),
            q('fields', `ฟิลด์ที่ต้องการ คั่นด้วยจุลภาค (comma-separated): ${ids.join(', ')}`),
            q('sort', 'เช่น (e.g.) "field asc"'),
            q('limit', 'จำนวนแถว (rows, default 100)', { type: 'integer' }),
            q('offset', 'ข้ามแถว (rows to skip)', { type: 'integer' }),
            q('records_format', 'objects | lists | csv | tsv'),
          ],
          responses: {
            200: { description: 'rows', content: { 'application/json': { schema: { type: 'object', properties: { success: { type: 'boolean' }, result: { type: 'object', properties: { total: { type: 'integer' }, records: { type: 'array', items: { $ref: '#/components/schemas/Record' } } } } } } } } },
            404: { description: 'not found or no right to read' },
            409: { description: 'a bad parameter (field → message)' },
          },
        },
      },
    },
  };
}
