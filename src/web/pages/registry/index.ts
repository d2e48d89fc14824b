import type { FastifyInstance } from 'fastify';
import type { Web } from '../../context.ts';
import { registryQueueRoutes } from './queue.ts';
import { registryDashboardRoutes } from './dashboard.ts';
import { registryAgencyRoutes } from './agency.ts';
import { registryCatalogRoutes } from './catalogs.ts';

export { registryPanel } from './agency.ts';

/** Registration pages (issue 8): the NSO queue and dashboard on a registry, the officer's page on an agency site. */
export function registryRoutes(app: FastifyInstance, web: Web): void {
  registryQueueRoutes(app, web);
  registryDashboardRoutes(app, web);
  registryAgencyRoutes(app, web);
  registryCatalogRoutes(app, web);
}
