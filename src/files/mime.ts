import path from 'node:path';

/** Types a browser may show inline without running anything. Everything else downloads as bytes. */
const SAFE_INLINE: Record<string, string> = {
  '.csv': 'text/csv',
  '.tsv': 'text/tab-separated-values',
  '.txt': 'text/plain',
  '.json': 'application/json',
  '.geojson': 'application/geo+json',
  '.pdf': 'application/pdf',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
};
const DOWNLOAD_ONLY: Record<string, string> = {
  '.xlsx': 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  '.xls': 'application/vnd.ms-excel',
  '.docx': 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  '.doc': 'application/msword',
  '.zip': 'application/zip',
  '.xml': 'application/xml',
  '.rdf': 'application/rdf+xml',
  '.shp': 'application/octet-stream',
  '.gml': 'application/gml+xml',
  '.tif': 'image/tiff',
  '.tiff': 'image/tiff',
  '.ods': 'application/vnd.oasis.opendocument.spreadsheet',
  '.parquet': 'application/vnd.apache.parquet',
};

export function mimeFor(filename: string): string {
  const ext = path.extname(filename).toLowerCase();
  return SAFE_INLINE[ext] ?? DOWNLOAD_ONLY[ext] ?? 'application/octet-stream';
}

/** How to serve a stored file: HTML, SVG and scripts are never served as themselves. */
export function servingType(filename: string): { contentType: string; inline: boolean } {
  const ext = path.extname(filename).toLowerCase();
  if (SAFE_INLINE[ext]) {
    const t = SAFE_INLINE[ext];
    return { contentType: t.startsWith('text/') || t === 'application/json' ? `${t}; charset=utf-8` : t, inline: true };
  }
  return { contentType: DOWNLOAD_ONLY[ext] ?? 'application/octet-stream', inline: false };
}

export function formatFor(filename: string): string {
  return path.extname(filename).replace(/^\./, '').toUpperCase();
}

/** A file name safe to keep in a URL and a Content-Disposition header. */
export function safeFilename(name: string): string {
  const base = path.basename(name.normalize('NFC')).replace(/[\u0000-\u001f\u007f"\\/<>:|?*]/g, '_').trim();
  return (base || 'file').slice(0, 200);
}
