import type { FastifyRequest } from 'fastify';
import type { Services } from '../../actions/context.ts';
import { BadRequestError, ValidationError } from '../../actions/errors.ts';
import { checkActionInput } from '../../actions/input-guard.ts';
import { discardUploads, type Upload } from '../../files/upload.ts';
import { readActionInput, UploadTooLargeError, type ReadOptions } from './input.ts';

/**
 * The request's input for the API and the portal's forms, checked as runAction will check it, but
 * before any action owns the uploaded file: a refused request leaves no stored file behind. A body
 * the readers cannot make sense of (truncated multipart, no boundary) is the caller's error, 400;
 * the server's own failures (a full disk: a system error with a syscall) stay 500.
 */
export async function readCheckedInput(services: Services, req: FastifyRequest, itemKeys: readonly string[] = [], opts: ReadOptions = {}): Promise<{ input: Record<string, unknown>; uploads: Upload[] }> {
  let uploads: Upload[] = [];
  try {
    const read = await readActionInput(services, req, opts);
    uploads = read.uploads;
    checkActionInput(read.input, itemKeys);
    return read;
  } catch (e) {
    await discardUploads(uploads);
    if (e instanceof ValidationError || e instanceof BadRequestError || e instanceof UploadTooLargeError || (e as { syscall?: string }).syscall) throw e;
    req.log.warn({ err: e }, 'unreadable request body');
    throw new BadRequestError('Bad request - the request body could not be read');
  }
}
