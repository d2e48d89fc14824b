import type { FastifyRequest } from 'fastify';
import type { Services } from '../../actions/context.ts';
import { BadRequestError } from '../../actions/errors.ts';
import { FileTooLargeError } from '../../files/file-store.ts';
import type { UploadedFile } from '../../actions/resources/actions.ts';

export const MAX_JSON_DEPTH = 32;

/** Rejects absurdly nested JSON before any action walks it. */
export function checkDepth(value: unknown): void {
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length) {
    const [v, depth] = stack.pop()!;
    if (depth > MAX_JSON_DEPTH) throw new BadRequestError(`Bad request - JSON Error: nesting deeper than ${MAX_JSON_DEPTH} levels`);
    if (v && typeof v === 'object') for (const child of Object.values(v)) if (child && typeof child === 'object') stack.push([child, depth + 1]);
  }
}

export class UploadTooLargeError extends Error {
  readonly limit: number;
  constructor(limit: number) {
    super(`Upload larger than ${limit} bytes`);
    this.limit = limit;
  }
}

/**
 * The action's input from any of CKAN's request forms: query string (GET), JSON object, form
 * fields, or multipart with an "upload" file, which is streamed into the file store here.
 */
export async function readActionInput(services: Services, req: FastifyRequest): Promise<{ input: Record<string, unknown>; uploads: UploadedFile[] }> {
  const uploads: UploadedFile[] = [];
  if (req.method === 'GET' || req.method === 'HEAD') {
    const q = { ...(req.query as Record<string, unknown>) };
    delete q.callback;
    delete q.lang;
    return { input: q, uploads };
  }
  if (req.isMultipart()) {
    const input: Record<string, unknown> = {};
    try {
      for await (const part of req.parts({ limits: { fileSize: services.config.maxUploadBytes, fieldSize: services.config.maxBodyBytes, fields: 200, files: 1 } })) {
        if (part.type === 'file') {
          if (part.fieldname !== 'upload') {
            part.file.resume();
            throw new BadRequestError(`Bad request - unexpected file field "${part.fieldname}"; send the file as "upload"`);
          }
          const stored = await services.files.put(part.file, services.config.maxUploadBytes);
          const file = { ...stored, filename: part.filename || 'file' };
          uploads.push(file);
          input.upload = file;
        } else {
          const value = part.value;
          const prev = input[part.fieldname];
          input[part.fieldname] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value];
        }
      }
    } catch (e) {
      for (const u of uploads) await services.files.remove(u.key);
      if (e instanceof FileTooLargeError || (e as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE') throw new UploadTooLargeError(services.config.maxUploadBytes);
      if ((e as { code?: string }).code?.startsWith('FST_')) throw new BadRequestError(`Bad request - ${(e as Error).message}`);
      throw e;
    }
    // Form values of JSON-typed fields (data_dictionary, lists) may arrive as JSON strings; actions accept both.
    return { input, uploads };
  }
  const body = req.body;
  if (body === undefined || body === null || body === '') return { input: {}, uploads };
  if (typeof body !== 'object' || Array.isArray(body)) throw new BadRequestError('Bad request - JSON Error: Request data JSON decoded to ' + (Array.isArray(body) ? 'a list' : typeof body) + ' but it must be an object');
  checkDepth(body);
  return { input: { ...(body as Record<string, unknown>) }, uploads };
}
