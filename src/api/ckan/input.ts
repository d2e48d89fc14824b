import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Services } from '../../actions/context.ts';
import { BadRequestError, ValidationError } from '../../actions/errors.ts';
import { FileTooLargeError } from '../../files/file-store.ts';
import { discardUploads, type Upload } from '../../files/upload.ts';
import { unreadBody } from '../../files/upload-gate.ts';

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

/** Errors of the multipart parser itself (no boundary, a cut-off body, bad headers): the client's fault. */
function isMultipartError(e: unknown): boolean {
  const code = (e as { code?: unknown })?.code;
  if (typeof code === 'string') return code.startsWith('FST_');
  const msg = e instanceof Error ? e.message : '';
  return /^(Multipart: |Unexpected end of |Malformed |Part terminated early|Unsupported content type)/i.test(msg) || /boundary/i.test(msg);
}

/**
 * The action's input from any of CKAN's request forms: query string (GET), JSON object, form
 * fields, or multipart with an "upload" file, which is streamed into the file store here — only
 * for an action that takes one, whose upload gate the caller has passed (src/files/upload-gate.ts).
 * Only this reader makes upload objects; the caller discards those no action takes (`discardUploads`).
 */
export interface ReadOptions {
  /** The action takes a file (its upload gate was passed): only then is a file part written to the store. */
  files?: boolean;
  /** Told when the answer will leave part of the body unread (the connection is then closed after it). */
  reply?: FastifyReply;
}

export const NO_FILE = { th: 'คำสั่งนี้ไม่รับไฟล์แนบ', en: 'This action takes no file' };

export async function readActionInput(services: Services, req: FastifyRequest, opts: ReadOptions = {}): Promise<{ input: Record<string, unknown>; uploads: Upload[] }> {
  const uploads: Upload[] = [];
  if (req.method === 'GET' || req.method === 'HEAD') {
    const q = { ...(req.query as Record<string, unknown>) };
    delete q.callback;
    delete q.lang;
    return { input: q, uploads };
  }
  if (req.isMultipart()) {
    const input: Record<string, unknown> = {};
    if (!/;\s*boundary=/i.test(String(req.headers['content-type'] ?? ''))) throw new BadRequestError('Bad request - multipart body without a boundary');
    // All fields together are held in memory before any action runs: bounded as a JSON body is.
    let fieldBytes = 0;
    try {
      for await (const part of req.parts({ limits: { fileSize: services.config.maxUploadBytes, fieldSize: services.config.maxBodyBytes, fields: 200, files: 1 } })) {
        if (part.type === 'file') {
          if (!opts.files) {
            // Refused unread: nothing of it reaches the store, and the rest of the body is not waited for.
            if (opts.reply) unreadBody(opts.reply);
            throw ValidationError.field('upload', NO_FILE);
          }
          if (part.fieldname !== 'upload') {
            part.file.resume();
            throw new BadRequestError(`Bad request - unexpected file field "${part.fieldname}"; send the file as "upload"`);
          }
          const file = await services.files.put(part.file, services.config.maxUploadBytes, part.filename || 'file');
          uploads.push(file);
          input.upload = file;
        } else {
          // A text field named "upload" is not a file; the action refuses it as such.
          if (part.fieldname === 'upload' && input.upload !== undefined) continue;
          const value = part.value;
          fieldBytes += Buffer.byteLength(String(value ?? '')) + part.fieldname.length;
          if (part.valueTruncated || fieldBytes > services.config.maxBodyBytes) {
            if (opts.reply) unreadBody(opts.reply);
            throw new BadRequestError(`Bad request - form fields larger than ${services.config.maxBodyBytes} bytes in all`);
          }
          const prev = input[part.fieldname];
          input[part.fieldname] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value];
        }
      }
    } catch (e) {
      await discardUploads(uploads);
      if (e instanceof FileTooLargeError || (e as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE') throw new UploadTooLargeError(services.config.maxUploadBytes);
      if (e instanceof BadRequestError || e instanceof ValidationError) throw e;
      if (isMultipartError(e)) throw new BadRequestError(`Bad request - malformed multipart body: ${(e as Error).message}`);
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
