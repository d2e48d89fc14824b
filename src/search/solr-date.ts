import { SearchQueryError } from '../actions/errors.ts';

/** Dates in q and fq as Solr writes them, for range queries on metadata_modified and metadata_created. */
const UNITS: Record<string, string> = { SECOND: 'seconds', MINUTE: 'minutes', HOUR: 'hours', DAY: 'days', MONTH: 'months', YEAR: 'years' };

/** Years a date in a query may name: PostgreSQL's timestamps and ISO 8601's four digits both hold them. */
const MIN_YEAR = 1;
const MAX_YEAR = 9999;

/** A Solr date: ISO 8601, or NOW with an optional offset such as NOW-7DAYS; years 1 to 9999. */
export function parseSolrDate(v: string, now = new Date()): Date {
  const d = readSolrDate(v, now);
  const year = d.getUTCFullYear();
  if (year < MIN_YEAR || year > MAX_YEAR) throw new SearchQueryError(`date out of range (years ${MIN_YEAR} to ${MAX_YEAR}): ${v}`);
  return d;
}

function readSolrDate(v: string, now: Date): Date {
  const m = /^NOW(?:([+-])(\d{1,6})(SECOND|MINUTE|HOUR|DAY|MONTH|YEAR)S?)?$/.exec(v);
  if (m) {
    const d = new Date(now);
    if (m[1]) {
      const n = Number(m[2]) * (m[1] === '-' ? -1 : 1);
      const unit = UNITS[m[3]!]!;
      if (unit === 'months') d.setUTCMonth(d.getUTCMonth() + n);
      else if (unit === 'years') d.setUTCFullYear(d.getUTCFullYear() + n);
      else d.setTime(d.getTime() + n * { seconds: 1e3, minutes: 6e4, hours: 36e5, days: 864e5 }[unit as 'days']!);
    }
    if (!Number.isNaN(d.getTime())) return d;
    throw new SearchQueryError(`date out of range: ${v}`);
  }
  if (/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?Z?)?$/.test(v)) {
    const d = new Date(v.length === 10 ? `${v}T00:00:00Z` : v.endsWith('Z') ? v : `${v}Z`);
    if (!Number.isNaN(d.getTime())) return d;
  }
  throw new SearchQueryError(`cannot read date ${v}`);
}
