import type { FastifyInstance } from 'fastify';
import type { Services } from '../actions/context.ts';
import { loadAuditKey } from '../actions/audit-key.ts';

/**
 * The public half of the key that signs audit checkpoints, so anyone holding a copy of a
 * checkpoint (or of the database) can check its signature without trusting this server later.
 */
export async function auditKeyRoutes(app: FastifyInstance, services: Services): Promise<void> {
  app.get('/.well-known/banchi-audit-key', { schema: { hide: true } }, async (req, reply) => {
    const key = loadAuditKey(services.config);
    reply.header('cache-control', 'public, max-age=3600');
    if (/\bapplication\/x-pem-file\b/.test(req.headers.accept ?? '')) return reply.type('application/x-pem-file').send(key.publicPem);
    return reply.type('application/json;charset=utf-8').send({ algorithm: 'Ed25519', key_id: key.keyId, public_key_pem: key.publicPem });
  });
}
