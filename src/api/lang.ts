import type { FastifyRequest } from 'fastify';
import type { Lang } from '../actions/errors.ts';

/** Thai unless the caller asks for English first (Accept-Language) or chose it (lang cookie / ?lang=). */
export function requestLang(req: FastifyRequest): Lang {
  const q = (req.query as Record<string, unknown> | undefined)?.lang;
  if (q === 'en' || q === 'th') return q;
  const cookie = (req as FastifyRequest & { cookies?: Record<string, string | undefined> }).cookies?.lang;
  if (cookie === 'en' || cookie === 'th') return cookie;
  const header = String(req.headers['accept-language'] ?? '');
  const first = header.split(',')[0]?.trim().toLowerCase() ?? '';
  return first.startsWith('en') ? 'en' : 'th';
}
