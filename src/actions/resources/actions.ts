import crypto from 'node:crypto';
import { defineAction } from '../registry.ts';
import type { ActionContext } from '../context.ts';
import { ErrorBag, NotFoundError, ValidationError } from '../errors.ts';
import { currentStandard } from '../../standard/index.ts';
import { M } from '../../standard/messages.ts';
import { validateResource } from '../../standard/validate-resource.ts';
import type { DatasetRow, ResourceRow } from '../../store/schema.ts';
import { findDataset, requireDataset, UUID, datasetSubject } from '../datasets/load.ts';
import { packageDicts, resourceDict } from '../datasets/present.ts';
import { afterDatasetWrite, bumpDataset, checkResourceRoom, resourceColumns } from '../datasets/write.ts';
import { formatFor, mimeFor, safeFilename } from '../../files/mime.ts';

/** A file the HTTP layer has already streamed into the file store (within the size limit). */
export interface UploadedFile {
  key: string;
  size: number;
  sha256: string;
  filename: string;
}

export function isUpload(v: unknown): v is UploadedFile {
  return !!v && typeof v === 'object' && typeof (v as UploadedFile).key === 'string' && typeof (v as UploadedFile).sha256 === 'string';
}

async function loadResource(ctx: ActionContext, input: Record<string, unknown>, rule: string): Promise<{ res: ResourceRow; dataset: DatasetRow }> {
  const id = input.id;
  if (typeof id !== 'string' || !id) throw ValidationError.field('id', M.missing());
  const res = UUID.test(id) ? await ctx.db.selectFrom('resources').selectAll().where('id', '=', id.toLowerCase()).executeTakeFirst() : undefined;
  const dataset = res ? await findDataset(ctx.db, res.dataset_id) : undefined;
  if (!res || !dataset || res.state === 'deleted') {
    try {
      ctx.authorize(rule, { owner_org: null, visible: false });
    } catch {
      /* the answer is 404 either way */
    }
    throw new NotFoundError({ th: 'ไม่พบทรัพยากร', en: 'Not found: Resource was not found.' });
  }
  await requireDataset(ctx, { id: dataset.id }, rule);
  return { res, dataset };
}

async function writeResource(ctx: ActionContext, dataset: DatasetRow, input: Record<string, unknown>, prev: ResourceRow | null, merge: boolean) {
  const std = currentStandard();
  const bag = new ErrorBag();
  const upload = isUpload(input.upload) ? input.upload : undefined;
  if (input.upload !== undefined && input.upload !== '' && !upload) bag.add('upload', { th: 'ไฟล์ที่อัปโหลดไม่ถูกต้อง', en: 'Upload must be a file' });
  if (upload) ctx.onRollback(() => ctx.services.files.remove(upload.key));
  const { upload: _u, package_id: _p, ...fields } = input;
  let data: Record<string, unknown> = fields;
  if (merge && prev) {
    const current = resourceDict(ctx, prev, { files: true, privateResources: true })!;
    if (prev.storage_key) current.url = prev.url;
    data = { ...current, ...fields };
  }
  if (upload && (data.format === undefined || data.format === '')) data = { ...data, format: formatFor(safeFilename(upload.filename)) };
  const keepsFile = !!prev?.storage_key && !upload && (data.url === undefined || data.url === prev.url || data.url === '');
  if (!prev) await checkResourceRoom(ctx, dataset.id, bag);
  const v = validateResource(std, dataset.data_type, data, bag, { hasUpload: !!upload || keepsFile, partial: dataset.state === 'draft' });
  bag.throwIfAny();
  const cols = resourceColumns(v, ctx.now);
  let file: Partial<ResourceRow> = {};
  if (upload) {
    const filename = safeFilename(upload.filename);
    file = { url: filename, url_type: 'upload', storage_key: upload.key, size: upload.size, hash: upload.sha256, mimetype: mimeFor(filename), last_modified: ctx.now };
  } else if (keepsFile) {
    file = { url: prev!.url, url_type: 'upload', storage_key: prev!.storage_key, size: prev!.size, hash: prev!.hash, mimetype: prev!.mimetype, last_modified: prev!.last_modified };
  } else {
    file = { storage_key: null, url_type: cols.url_type };
  }
  const before = (await packageDicts(ctx, [dataset], { unrestricted: true }))[0]!;
  let id: string;
  if (prev) {
    id = prev.id;
    await ctx.db.updateTable('resources').set({ ...cols, ...file }).where('id', '=', prev.id).execute();
  } else {
    id = crypto.randomUUID();
    const pos = await ctx.db.selectFrom('resources').select((eb) => eb.fn.coalesce(eb.fn.max('position'), eb.lit(-1)).as('p')).where('dataset_id', '=', dataset.id).where('state', '=', 'active').executeTakeFirst();
    await ctx.db.insertInto('resources').values({ ...cols, ...file, id, dataset_id: dataset.id, position: Number(pos?.p ?? -1) + 1, created: v.created ?? ctx.now }).execute();
  }
  const bumped = await bumpDataset(ctx, dataset);
  await afterDatasetWrite(ctx, bumped, before, 'changed package');
  const row = await ctx.db.selectFrom('resources').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  const subject = await datasetSubject(ctx, bumped);
  return resourceDict(ctx, row, { files: ctx.can('dataset_files', subject), privateResources: true });
}

export const resourceCreate = defineAction({
  name: 'resource_create',
  readOnly: false,
  summary: 'Add a resource to a dataset: a link (url) or a file sent as multipart field "upload".',
  async run(ctx, input) {
    const { row } = await requireDataset(ctx, { id: input.package_id }, 'resource_create', 'id');
    if (row.state === 'deleted') throw new NotFoundError();
    return writeResource(ctx, row, input, null, false);
  },
});

export const resourceUpdate = defineAction({
  name: 'resource_update',
  readOnly: false,
  summary: 'Replace a resource; send "upload" to replace its file.',
  async run(ctx, input) {
    const { res, dataset } = await loadResource(ctx, input, 'resource_update');
    return writeResource(ctx, dataset, input, res, false);
  },
});

export const resourcePatch = defineAction({
  name: 'resource_patch',
  readOnly: false,
  summary: 'Change only the resource fields sent.',
  async run(ctx, input) {
    const { res, dataset } = await loadResource(ctx, input, 'resource_patch');
    return writeResource(ctx, dataset, input, res, true);
  },
});

export const resourceDelete = defineAction({
  name: 'resource_delete',
  readOnly: false,
  summary: 'Delete a resource (kept in the dataset history).',
  async run(ctx, input) {
    const { res, dataset } = await loadResource(ctx, input, 'resource_delete');
    const before = (await packageDicts(ctx, [dataset], { unrestricted: true }))[0]!;
    await ctx.db.updateTable('resources').set({ state: 'deleted', metadata_modified: ctx.now }).where('id', '=', res.id).execute();
    const bumped = await bumpDataset(ctx, dataset);
    await afterDatasetWrite(ctx, bumped, before, 'changed package');
    return null;
  },
});

export const resourceShow = defineAction({
  name: 'resource_show',
  readOnly: true,
  summary: 'One resource by id. File links of shared data are shown only with a right to the files.',
  params: { id: { type: 'string', description: 'resource id', required: true } },
  async run(ctx, input) {
    const { res, dataset } = await loadResource(ctx, input, 'resource_show');
    const subject = await datasetSubject(ctx, dataset);
    const dict = resourceDict(ctx, res, { files: ctx.can('dataset_files', subject), privateResources: ctx.can('package_update', subject) });
    if (!dict) throw new NotFoundError({ th: 'ไม่พบทรัพยากร', en: 'Not found: Resource was not found.' });
    return dict;
  },
});

/** Used by the download route: checks the file right and returns where the bytes are. */
export const resourceDownload = defineAction({
  name: 'resource_download',
  readOnly: true,
  summary: 'Authorise a download of an uploaded file (used by /dataset/<id>/resource/<id>/download).',
  async run(ctx, input) {
    const { res, dataset } = await loadResource(ctx, input, 'resource_show');
    const subject = await datasetSubject(ctx, dataset);
    ctx.authorize('resource_download', subject);
    if (!res.storage_key) throw new NotFoundError({ th: 'ทรัพยากรนี้เป็นลิงก์ ไม่ใช่ไฟล์', en: 'Not found: this resource is a link, not a file.' });
    if ((res.metadata as Record<string, unknown>).resource_private === true && !ctx.can('package_update', subject)) throw new NotFoundError();
    return { key: res.storage_key, filename: res.url || 'file', size: res.size, sha256: res.hash };
  },
});

export const resourceActions = [resourceCreate, resourceUpdate, resourcePatch, resourceDelete, resourceShow, resourceDownload];
