import type { FastifyRequest } from 'fastify';
import { ANONYMOUS, type Actor } from '../access/actor.ts';
import { actorFromToken } from '../access/tokens.ts';
import type { Services } from '../actions/context.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the web session layer when a signed-in browser session is present. */
    sessionActor: Actor | null;
  }
}

/**
 * The caller of an API request: an API token in Authorization (raw, as CKAN sends it, or Bearer)
 * or X-CKAN-API-Key; otherwise the browser session, but for reads only, so a cookie can never
 * be used by another site to write (CSRF).
 */
export async function apiActor(services: Services, req: FastifyRequest, write: boolean): Promise<Actor> {
  const header = req.headers.authorization ?? (req.headers['x-ckan-api-key'] as string | undefined);
  if (header) return (await actorFromToken(services.store.db, header, services.config)) ?? ANONYMOUS;
  if (!write && req.sessionActor) return req.sessionActor;
  return ANONYMOUS;
}
