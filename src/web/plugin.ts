import path from 'node:path';
import type { FastifyError, FastifyInstance } from 'fastify';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import { sharedRateLimitStore } from '../cluster/rate-limit-store.ts';
import fastifyStatic from '@fastify/static';
import type { Services } from '../actions/context.ts';
import { registerSessionHook, isSecure } from './session.ts';
import { loadWebSecret } from './csrf.ts';
import { page, type Web } from './context.ts';
import { TtlCache } from './cache.ts';
import { errorPage } from './layout.ts';
import { homeRoutes } from './pages/home.ts';
import { searchRoutes } from './pages/search.ts';
import { datasetRoutes } from './pages/dataset.ts';
import { historyRoutes } from './pages/history.ts';
import { datasetGroupRoutes } from './pages/dataset-groups.ts';
import { resourceRoutes } from './pages/resource.ts';
import { apiDocsRoutes } from './pages/api-docs.ts';
import { feedRoutes } from './pages/feeds.ts';
import { datasetFormRoutes } from './pages/dataset-form.ts';
import { resourceFormRoutes } from './pages/resource-form.ts';
import { groupRoutes } from './pages/groups.ts';
import { userRoutes } from './pages/users.ts';
import { adminRoutes } from './pages/admin.ts';
import { authRoutes } from './pages/auth.ts';
import { twoFactorRoutes } from './pages/two-factor.ts';
import { oidcRoutes } from './pages/oidc.ts';
// governance: agreements, partners, linkage registry, KPI
import { agreementRoutes } from './pages/governance/agreements.ts';
import { partnerRoutes } from './pages/governance/partners.ts';
import { linkageRoutes } from './pages/governance/linkage.ts';
import { kpiRoutes } from './pages/governance/kpi.ts';
// governance cases (issue 11)
import { governanceRoutes } from './pages/governance/index.ts';
import { harvestRoutes } from './pages/harvest.ts';
import { registryRoutes } from './pages/registry/index.ts';
import { qualityRoutes } from './pages/quality/index.ts';
import { dashboardRoutes } from './pages/dashboard.ts';
import { listRoutes } from './pages/lists.ts';
import { areaRoutes } from './pages/area.ts';
import { templateImportRoutes } from './pages/template-import.ts';
import { exchangeRoutes } from './pages/exchange/index.ts';

/**
 * The portal: server-rendered pages over the same actions as the API. Runs in the root context
 * (see app.ts) only for the session hook and the HTML 404; everything else sits in its own scope
 * so its headers and error pages never change the API's answers.
 */
export async function portal(app: FastifyInstance, services: Services): Promise<void> {
  registerSessionHook(app, services);
  // Anonymous visitors may see the home page's counts and lists up to a minute old.
  const web: Web = { services, secret: await loadWebSecret(services), publicCache: new TtlCache(60_000) };

  await app.register(async (scope) => {
    const secure = isSecure(services);
    await scope.register(helmet, {
      contentSecurityPolicy: {
        useDefaults: false,
        directives: {
          defaultSrc: ["'self'"],
          scriptSrc: ["'self'"],
          styleSrc: ["'self'"],
          imgSrc: ["'self'", 'data:', 'https:'],
          fontSrc: ["'self'"],
          connectSrc: ["'self'"],
          frameSrc: ["'self'"],
          objectSrc: ["'none'"],
          baseUri: ["'self'"],
          formAction: ["'self'"],
          frameAncestors: ["'none'"],
          ...(secure ? { upgradeInsecureRequests: [] } : {}),
        },
      },
      strictTransportSecurity: secure ? { maxAge: 31536000, includeSubDomains: true } : false,
      crossOriginEmbedderPolicy: false,
      referrerPolicy: { policy: 'strict-origin-when-cross-origin' },
    });
    await scope.register(rateLimit, {
      global: false,
      store: sharedRateLimitStore(services.store.db), // shared by every app process (docs/deployment.md)
      errorResponseBuilder: (_req, ctx) => Object.assign(new Error('Too many requests'), { statusCode: ctx.statusCode }),
    });
    await scope.register(fastifyStatic, {
      root: path.join(import.meta.dirname, 'static'),
      prefix: '/static/',
      maxAge: '7d',
      index: false,
    });
    scope.setErrorHandler((err: FastifyError, req, reply) => {
      const status = err.statusCode ?? 500;
      if (status >= 500) req.log.error({ err }, 'page failed');
      return page(web, async (p) => errorPage(p, status === 429 ? 429 : status >= 500 ? 500 : status === 413 ? 413 : 400)).call(scope, req, reply);
    });

    // governance cases (issue 11): first, so its header hook (inbox count) covers every page
    governanceRoutes(scope, web);
    homeRoutes(scope, web);
    harvestRoutes(scope, web);
    registryRoutes(scope, web);
    // metadata quality and the OIT checklist (issue 8), before /organization/:id
    qualityRoutes(scope, web);
    searchRoutes(scope, web);
    datasetFormRoutes(scope, web);
    resourceFormRoutes(scope, web);
    historyRoutes(scope, web);
    datasetGroupRoutes(scope, web);
    resourceRoutes(scope, web);
    datasetRoutes(scope, web);
    groupRoutes(scope, web);
    userRoutes(scope, web);
    adminRoutes(scope, web);
    authRoutes(scope, web);
    twoFactorRoutes(scope, web);
    oidcRoutes(scope, web);
    agreementRoutes(scope, web);
    partnerRoutes(scope, web);
    linkageRoutes(scope, web);
    kpiRoutes(scope, web);
    // h-ckan
    apiDocsRoutes(scope, web);
    feedRoutes(scope, web);
    dashboardRoutes(scope, web);
    // follows, personal lists (issue 8)
    listRoutes(scope, web);
    areaRoutes(scope, web);
    templateImportRoutes(scope, web);
    // exchange: data items, citizen look-up, monitoring (issue 9)
    exchangeRoutes(scope, web);
    // Browsers ask for /favicon.ico whatever the page says; the pages also name the SVG one.
    scope.get('/favicon.ico', (_req, reply) => reply.header('Cache-Control', 'public, max-age=604800').type('image/x-icon').sendFile('favicon.ico'));
  });

  // Unknown addresses: a page for people, CKAN's JSON for API clients.
  app.setNotFoundHandler((req, reply) => {
    if (req.url.startsWith('/api/')) return reply.code(404).type('application/json;charset=utf-8').send(JSON.stringify('Not found'));
    // Outside the portal's scope, so helmet's headers are set here by hand.
    reply
      .header('Content-Security-Policy', "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: https:; font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")
      .header('X-Content-Type-Options', 'nosniff')
      .header('X-Frame-Options', 'DENY')
      .header('Referrer-Policy', 'strict-origin-when-cross-origin');
    return page(web, async (p) => errorPage(p, 404)).call(app, req, reply);
  });
}
