import type { ActionDef } from '../actions/registry.ts';
import { packageSearch } from './package-search.ts';
import { packageAutocomplete, tagAutocomplete } from './autocomplete.ts';
import { packageSimilar } from './similar.ts';
import { searchSynonymCreate, searchSynonymDelete, searchSynonymList } from './synonyms.ts';
import './reindex.ts'; // registers the search_index job handler

export const searchActions: ActionDef[] = [packageSearch, packageAutocomplete, tagAutocomplete, packageSimilar, searchSynonymList, searchSynonymCreate, searchSynonymDelete];
