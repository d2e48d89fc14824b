import type { Services } from '../actions/context.ts';
import { sourceHostsJudge } from '../util/source-hosts.ts';
import type { SourceAccess } from './gather-ckan.ts';
import type { HarvestSourceRow } from './schema.ts';
import { openSecret } from './secrets.ts';

/**
 * How this server reaches a harvest source, for every call it makes there (the gather stages, the
 * registry's usage collection): its token, time-out and address check. The URL is an organisation
 * admin's: it must not make this server fetch its own network, except the hosts BANCHI_SOURCE_HOSTS
 * lists (BANCHI_HARVEST_ALLOW_PRIVATE lifts the rule for every host).
 */
export function sourceAccess(services: Services, source: HarvestSourceRow): SourceAccess {
  return {
    source,
    token: openSecret(services.config, source.credentials),
    timeoutMs: Math.min(source.timeout_seconds * 1000, 60_000),
    judge: services.config.harvestAllowPrivate ? undefined : sourceHostsJudge(services.config.sourceHosts),
  };
}
