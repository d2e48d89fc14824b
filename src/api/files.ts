import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type { Services } from '../actions/context.ts';
import { runAction } from '../actions/registry.ts';
import { AuthorizationError, NotFoundError } from '../actions/errors.ts';
import { ANONYMOUS } from '../access/actor.ts';
import { contentDisposition, servingType } from '../files/mime.ts';
import { measured } from '../files/file-store.ts';
import { etagMatches, parseRange, type RangeAnswer } from '../files/range.ts';
import { refKey } from '../files/upload.ts';
import type { DownloadInfo } from '../actions/resources/actions.ts';
import { apiActor } from './actor.ts';
import { requestLang } from './lang.ts';
import { redirectTarget } from '../actions/ckan/links.ts';

/**
 * File downloads at CKAN's URL. The action decides (grants for shared data); the bytes are served
 * with a type that cannot run in the browser, and a sandbox CSP in case a browser sniffs anyway.
 */
export async function fileRoutes(app: FastifyInstance, services: Services): Promise<void> {
  const handler = async (req: import('fastify').FastifyRequest, reply: import('fastify').FastifyReply) => {
    const { rid } = req.params as { id: string; rid: string };
    const lang = requestLang(req);
    try {
      const actor = (await apiActor(services, req, false)) ?? ANONYMOUS;
      // A link resource's download is the link itself, as in CKAN: a redirect (http/https only).
      // One action per download, so a non-open file's download is one audit row.
      const file = await runAction<DownloadInfo>(services, 'resource_download', { id: rid, follow_link: true }, { actor, lang, ip: req.ip });
      if (file.link) {
        if (file.link.restricted) throw new AuthorizationError();
        const target = redirectTarget(file.link.url);
        if (!target) throw new NotFoundError();
        if (file.dataset_id) services.views.recordResource(file.dataset_id, rid.toLowerCase(), 'download');
        return reply.code(302).header('Location', target).header('Cache-Control', 'no-store').send();
      }
      // A strong validator: the server's own SHA-256 of the bytes (a stored file never changes under its key).
      const etag = /^[0-9a-f]{64}$/.test(file.sha256) ? `"${file.sha256}"` : undefined;
      const headers = req.headers as Record<string, string | undefined>;
      const unchanged = !!etag && etagMatches(headers['if-none-match'], etag, true);
      // A resumed download asks for the rest only if the file is still the one it began (If-Range).
      const ranged = !unchanged && headers.range !== undefined && (headers['if-range'] === undefined || (!!etag && etagMatches(headers['if-range'], etag, false)));
      let range: RangeAnswer = null;
      // The length comes from the opened file, never from the database: a wrong size there must not
      // let file bytes run into the next response on a keep-alive connection.
      const choose = ranged ? (size: number) => {
        range = parseRange(headers.range, size);
        return range === 'unsatisfiable' ? { start: 0, end: -1 } : range;
      } : undefined;
      // A HEAD is answered from the store's metadata: the file is not opened, let alone read.
      const opened = req.method === 'HEAD' ? await measured(services.files, refKey(file.file), choose) : await services.files.read(refKey(file.file), choose);
      if (!opened) throw new NotFoundError();
      const { contentType, inline } = servingType(file.filename);
      reply
        .header('Content-Type', contentType)
        .header('X-Content-Type-Options', 'nosniff')
        .header('Content-Security-Policy', "default-src 'none'; sandbox")
        .header('Content-Disposition', contentDisposition(inline ? 'inline' : 'attachment', file.filename))
        .header('Accept-Ranges', 'bytes')
        // Checked again on every use: a shared cache must never keep a file of shared data for the next caller.
        .header('Cache-Control', 'private, no-cache');
      if (etag) reply.header('ETag', etag);
      if (unchanged || range === 'unsatisfiable') {
        opened.stream?.destroy();
        if (unchanged) return reply.code(304).send();
        return reply.code(416).header('Content-Range', `bytes */${opened.size}`).header('Content-Length', 0).send();
      }
      // A HEAD or a resumed part is not another download.
      if (file.dataset_id && req.method === 'GET' && opened.start === 0) services.views.recordResource(file.dataset_id, rid.toLowerCase(), 'download');
      if (range) reply.code(206).header('Content-Range', `bytes ${opened.start}-${opened.end}/${opened.size}`);
      reply.header('Content-Length', opened.end - opened.start + 1);
      // Fastify's HEAD keeps the length of a stream answer (an empty one here: no file was opened).
      if (!opened.stream) return reply.send(Readable.from([]));
      return reply.send(opened.stream);
    } catch (e) {
      if (e instanceof NotFoundError) return reply.code(404).type('text/plain; charset=utf-8').send(lang === 'en' ? 'Not found' : 'ไม่พบไฟล์');
      if (e instanceof AuthorizationError) return reply.code(403).type('text/plain; charset=utf-8').send(lang === 'en' ? 'Access denied: this file needs an access grant' : 'ไม่มีสิทธิ์เข้าถึงไฟล์นี้ ต้องได้รับอนุญาตก่อน');
      throw e;
    }
  };
  const schema = { summary: 'Download an uploaded resource file', tags: ['Files'], params: { type: 'object', properties: { id: { type: 'string' }, rid: { type: 'string' }, filename: { type: 'string' } } } };
  app.get('/dataset/:id/resource/:rid/download/:filename', { schema }, handler);
  app.get('/dataset/:id/resource/:rid/download', { schema }, handler);
}
