/** Shapes of action answers as the pages read them (CKAN dicts; fields beyond these are read loosely). */
export type PackageDict = Record<string, any>;
export type ResourceDict = Record<string, any>;
export type GroupDict = Record<string, any>;

export interface FacetItem {
  name: string;
  display_name: string;
  count: number;
}

export interface SearchResult {
  count: number;
  results: PackageDict[];
  search_facets?: Record<string, { title?: string; items: FacetItem[] }>;
  sort?: string;
}
