import crypto from 'node:crypto';
import { defineAction } from '../registry.ts';
import type { ActionContext } from '../context.ts';
import { ErrorBag, NotFoundError, ValidationError } from '../errors.ts';
import { currentStandard } from '../../standard/index.ts';
import { M } from '../../standard/messages.ts';
import { validateResource } from '../../standard/validate-resource.ts';
import type { DatasetRow, ResourceRow } from '../../store/schema.ts';
import { findDataset, requireDataset, UUID, datasetSubject } from '../datasets/load.ts';
import type { DatasetSubject } from '../../policies/dataset.ts';
import { FileRef, isUpload } from '../../files/upload.ts';
import { attachUpload, releaseFiles } from '../../files/lifecycle.ts';
import { packageDicts, resourceDict } from '../datasets/present.ts';
import { afterDatasetWrite, bumpDataset, checkResourceRoom, resourceColumns } from '../datasets/write.ts';
import { formatFor, mimeFor, safeFilename } from '../../files/mime.ts';
import { sourceKind } from '../../datastore/source.ts';
import { queueLoadAfterCommit } from '../../datastore/trigger.ts';
import { noteRead } from '../disclosure.ts';

const RESOURCE_NOT_FOUND = { th: 'ไม่พบทรัพยากร', en: 'Not found: Resource was not found.' };

/** The one not-found answer of every resource action: a resource of a dataset the caller may not see is answered as one that does not exist. */
function resourceNotFound(): NotFoundError {
  return new NotFoundError(RESOURCE_NOT_FOUND);
}

/**
 * `lock`: a write that replaces the row's file reads it FOR UPDATE once allowed, so a concurrent
 * replace waits for this one's commit and then releases the file this one stored, not the one both first saw.
 */
async function loadResource(ctx: ActionContext, input: Record<string, unknown>, rule: string, lock = false): Promise<{ res: ResourceRow; dataset: DatasetRow; subject: DatasetSubject }> {
  const id = input.id;
  if (typeof id !== 'string' || !id) throw ValidationError.field('id', M.missing());
  const res = UUID.test(id) ? await ctx.db.selectFrom('resources').selectAll().where('id', '=', id.toLowerCase()).executeTakeFirst() : undefined;
  const dataset = res ? await findDataset(ctx.db, res.dataset_id) : undefined;
  const subject = dataset ? await datasetSubject(ctx, dataset) : undefined;
  if (!res || !dataset || !subject || res.state === 'deleted' || !subject.visible) {
    try {
      ctx.authorize(rule, subject ?? { owner_org: null, visible: false });
    } catch {
      /* the answer is the same 404 either way */
    }
    throw resourceNotFound();
  }
  ctx.authorize(rule, subject);
  if (!lock) return { res, dataset, subject };
  const locked = await ctx.db.selectFrom('resources').selectAll().where('id', '=', res.id).forUpdate().executeTakeFirst();
  if (!locked || locked.state === 'deleted' || locked.dataset_id !== res.dataset_id) throw resourceNotFound();
  return { res: locked, dataset, subject };
}

/** The link a resource dict shows for its own file: clients echo it back from resource_show. */
function ownDownloadUrl(ctx: ActionContext, r: ResourceRow): string {
  return String(resourceDict(ctx, r, { files: true, privateResources: true })?.url ?? '');
}

async function writeResource(ctx: ActionContext, dataset: DatasetRow, input: Record<string, unknown>, prev: ResourceRow | null, merge: boolean) {
  const std = currentStandard();
  const bag = new ErrorBag();
  // Only the multipart reader makes upload objects: anything else under "upload" (a JSON object
  // naming a storage key, a form string) is refused, never trusted.
  const upload = isUpload(input.upload) ? input.upload : undefined;
  if (input.upload !== undefined && input.upload !== null && input.upload !== '' && !upload) bag.add('upload', { th: 'ต้องส่งไฟล์แบบ multipart ในช่อง upload', en: 'Upload must be a file sent as multipart field "upload"' });
  const key = upload ? attachUpload(ctx, upload) : null;
  const { upload: _u, package_id: _p, clear_upload: _c, ...fields } = input;
  let data: Record<string, unknown> = fields;
  if (merge && prev) {
    const current = resourceDict(ctx, prev, { files: true, privateResources: true })!;
    if (prev.storage_key) current.url = prev.url;
    data = { ...current, ...fields };
  }
  if (upload && (data.format === undefined || data.format === '')) data = { ...data, format: formatFor(safeFilename(upload.filename)) };
  // ckanapi's resource_create(package_id=…, upload=f) sends no name (CKAN needs none): the file's name is the resource's, as the portal's form fills it.
  if (upload && (data.name === undefined || data.name === null || data.name === '')) data = { ...data, name: safeFilename(upload.filename) };
  const keepsFile = !!prev?.storage_key && !upload && (data.url === undefined || data.url === null || data.url === '' || data.url === prev.url || data.url === ownDownloadUrl(ctx, prev));
  if (!prev) await checkResourceRoom(ctx, dataset.id, bag);
  const v = validateResource(std, dataset.data_type, data, bag, { hasUpload: !!upload || keepsFile, partial: dataset.state === 'draft' });
  bag.throwIfAny();
  const cols = resourceColumns(v, ctx.now);
  // Size, hash and type of a file are the server's own measurements; a client's values describe links only.
  const { url: _url, url_type: _ut, size: _s, hash: _h, mimetype: _m, last_modified: _lm, ...described } = cols;
  let row: Record<string, unknown>;
  if (upload) {
    const filename = safeFilename(upload.filename);
    row = { ...described, url: filename, url_type: 'upload', storage_key: key, size: upload.size, hash: upload.sha256, mimetype: mimeFor(filename), last_modified: ctx.now };
  } else if (keepsFile) {
    // The file columns are left as the row has them (not copied from the read), so a concurrent replace cannot be undone.
    row = described;
  } else if (prev?.storage_key) {
    // A file became a link: the old file's measurements do not describe the link (a patch merged them in).
    row = { ...cols, storage_key: null, url_type: 'url_type' in fields ? cols.url_type : null, size: 'size' in fields ? cols.size : null, hash: 'hash' in fields ? cols.hash : '', mimetype: 'mimetype' in fields ? cols.mimetype : null };
  } else {
    row = { ...cols, storage_key: null };
  }
  const before = (await packageDicts(ctx, [dataset], { unrestricted: true }))[0]!;
  let id: string;
  if (prev) {
    id = prev.id;
    await ctx.db.updateTable('resources').set(row).where('id', '=', prev.id).execute();
    if (prev.storage_key && !keepsFile) releaseFiles(ctx, [prev.storage_key]);
  } else {
    id = crypto.randomUUID();
    const pos = await ctx.db.selectFrom('resources').select((eb) => eb.fn.coalesce(eb.fn.max('position'), eb.lit(-1)).as('p')).where('dataset_id', '=', dataset.id).where('state', '=', 'active').executeTakeFirst();
    await ctx.db.insertInto('resources').values({ ...cols, ...row, id, dataset_id: dataset.id, position: Number(pos?.p ?? -1) + 1, created: v.created ?? ctx.now }).execute();
  }
  const bumped = await bumpDataset(ctx, dataset);
  await afterDatasetWrite(ctx, bumped, before, 'changed package');
  const saved = await ctx.db.selectFrom('resources').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  // A tabular upload is loaded into the DataStore once it has committed (and its file has its stored name).
  if (upload && sourceKind(saved.format, saved.url)) ctx.afterCommit(() => queueLoadAfterCommit(ctx.services, id));
  const subject = await datasetSubject(ctx, bumped);
  return resourceDict(ctx, saved, { files: ctx.can('dataset_files', subject), privateResources: true });
}

export const resourceCreate = defineAction({
  name: 'resource_create',
  readOnly: false,
  uploadRule: 'resource_upload_somewhere',
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
  uploadRule: 'resource_upload_somewhere',
  summary: 'Replace a resource; send "upload" to replace its file.',
  async run(ctx, input) {
    const { res, dataset } = await loadResource(ctx, input, 'resource_update', true);
    return writeResource(ctx, dataset, input, res, false);
  },
});

export const resourcePatch = defineAction({
  name: 'resource_patch',
  readOnly: false,
  uploadRule: 'resource_upload_somewhere',
  summary: 'Change only the resource fields sent.',
  async run(ctx, input) {
    const { res, dataset } = await loadResource(ctx, input, 'resource_patch', true);
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
    const { res, dataset, subject } = await loadResource(ctx, input, 'resource_show');
    const dict = resourceDict(ctx, res, { files: ctx.can('dataset_files', subject), privateResources: ctx.can('package_update', subject) });
    if (!dict) throw resourceNotFound();
    noteRead(ctx, dataset, 'metadata', { type: 'resource', id: res.id });
    return dict;
  },
});

/** What the download route and the resource page get: a handle on the bytes, never the storage key. */
export interface DownloadInfo {
  /** With `follow_link`: a link resource's target (the route redirects), `restricted` without the file right. */
  link?: { url: unknown; restricted: boolean };
  file: FileRef;
  filename: string;
  /** The server's measurement when the file arrived: a cache key for previews. */
  sha256: string;
  /** The dataset the resource belongs to (the download route counts the download against it). */
  dataset_id?: string;
}

/**
 * Used by the download route and the preview: checks the file right and hands out an opaque
 * handle. Internal: the API does not dispatch it, and its result holds no storage key anyway.
 */
export const resourceDownload = defineAction<DownloadInfo>({
  name: 'resource_download',
  readOnly: true,
  internal: true,
  summary: 'Authorise a download of an uploaded file (used by /dataset/<id>/resource/<id>/download).',
  async run(ctx, input) {
    const { res, dataset, subject } = await loadResource(ctx, input, 'resource_show');
    if ((res.metadata as Record<string, unknown>).resource_private === true && !ctx.can('package_update', subject)) throw resourceNotFound();
    // The download route asks once: a link resource answers with its target, as resource_show shows it.
    if (input.follow_link === true && !res.storage_key) {
      const dict = resourceDict(ctx, res, { files: ctx.can('dataset_files', subject), privateResources: ctx.can('package_update', subject) });
      if (!dict) throw resourceNotFound();
      if (dict.url_type !== 'upload') {
        noteRead(ctx, dataset, 'metadata', { type: 'resource', id: res.id });
        return { link: { url: dict.url, restricted: dict.url_restricted === true }, dataset_id: dataset.id } as DownloadInfo;
      }
    }
    ctx.authorize('resource_download', subject);
    if (!res.storage_key) throw new NotFoundError({ th: 'ทรัพยากรนี้เป็นลิงก์ ไม่ใช่ไฟล์', en: 'Not found: this resource is a link, not a file.' });
    noteRead(ctx, dataset, 'file', { type: 'resource', id: res.id });
    return { file: FileRef.of(res.storage_key), filename: res.url || 'file', sha256: res.hash, dataset_id: dataset.id };
  },
});

export const resourceActions = [resourceCreate, resourceUpdate, resourcePatch, resourceDelete, resourceShow, resourceDownload];
