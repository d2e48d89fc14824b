import type { GatheredItem, SourceAccess } from './gather-ckan.ts';

export async function gatherDcat(_a: SourceAccess): Promise<{ items: GatheredItem[]; guids: Set<string> }> {
  throw new Error('not yet');
}
