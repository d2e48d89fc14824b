import type { FastifyReply } from 'fastify';
import type { Services } from '../actions/context.ts';
import type { ActionDef } from '../actions/registry.ts';
import { AuthorizationError } from '../actions/errors.ts';
import type { Actor } from '../access/actor.ts';
import { policies } from '../policies/index.ts';
import type { UploadSubject } from '../policies/resource.ts';

export const UPLOAD_REFUSED = { th: 'ไม่มีสิทธิ์ส่งไฟล์ — ต้องเข้าสู่ระบบด้วยบัญชีที่แก้ไขข้อมูลได้', en: 'you may not upload files: sign in with an account that may edit data' };

/** What the gate's rules may ask beyond the actor: only a caller with no role anywhere costs one query. */
async function uploadSubject(services: Services, actor: Actor): Promise<UploadSubject> {
  if (actor.kind !== 'user') return {};
  const row = await services.store.db.selectFrom('dataset_collaborators').select('dataset_id').where('user_id', '=', actor.user.id).where('capacity', '=', 'editor').limit(1).executeTakeFirst();
  return { collaboratorEditor: !!row };
}

/**
 * Asked before a multipart body is read, so that a caller who could never attach a file (no
 * credentials, a bad token, no editing role anywhere) makes the server write nothing: the file is
 * streamed to disk as it arrives, before any action runs. The action still decides for the dataset.
 */
export async function mayUpload(services: Services, def: Pick<ActionDef, 'uploadRule'> | undefined, actor: Actor): Promise<boolean> {
  const rule = def?.uploadRule ? policies[def.uploadRule] : undefined;
  if (!rule) return false;
  if (rule(actor, {}) === true) return true;
  return rule(actor, await uploadSubject(services, actor)) === true;
}

/** Throws the 403 of a refused upload; the body is left unread, so the connection is not reused. */
export async function checkUpload(services: Services, def: Pick<ActionDef, 'uploadRule'> | undefined, actor: Actor, reply: FastifyReply): Promise<void> {
  if (await mayUpload(services, def, actor)) return;
  unreadBody(reply);
  throw new AuthorizationError(UPLOAD_REFUSED);
}

/**
 * An answer sent before the request body was read to its end: closing the connection after the
 * answer stops the client sending the rest (on keep-alive, Node would read it all to discard it).
 */
export function unreadBody(reply: FastifyReply): void {
  reply.header('Connection', 'close');
}
