import data from './catalog-kinds.json' with { type: 'json' };

/** The kinds of catalog a registry harvests (agency, area, data centre, local government), as data. */
export interface CatalogKind {
  value: string;
  label: { th: string; en: string };
}
export const CATALOG_KINDS = data.kinds as CatalogKind[];
export const DEFAULT_CATALOG_KIND = 'agency';
