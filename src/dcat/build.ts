import type { Quad } from 'n3';
import type { Services } from '../actions/context.ts';
import { addCatalog, addDataset, Graph } from './graph.ts';
import type { RdfFormat } from './serialize.ts';

export const CATALOG_PAGE = 1000;

export function catalogQuads(services: Services, datasets: Array<Record<string, unknown>>, page: number, total: number, format: RdfFormat = 'ttl'): Quad[] {
  const g = new Graph();
  const site = services.config.siteUrl;
  const nodes = datasets.map((d) => addDataset(g, site, d));
  addCatalog(g, { site, title: services.config.siteTitle, description: `${services.config.siteTitle} (DCAT-AP 3)`, page, pageSize: CATALOG_PAGE, total, format }, nodes);
  return g.quads;
}

export function datasetQuads(services: Services, d: Record<string, unknown>): Quad[] {
  const g = new Graph();
  addDataset(g, services.config.siteUrl, d);
  return g.quads;
}
