/** CKAN's timestamp form: ISO 8601 in UTC without the zone letter, microseconds optional. */
export function ckanTime(d: Date | string | null | undefined): string | null {
  if (d === null || d === undefined) return null;
  const date = typeof d === 'string' ? new Date(d) : d;
  if (Number.isNaN(date.getTime())) return null;
  return date.toISOString().replace('Z', '');
}
