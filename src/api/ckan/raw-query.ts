import type { Socket } from 'node:net';

type ClientError = Error & { code?: string; rawPacket?: unknown };

/**
 * Node's HTTP parser refuses a request whose query string holds raw (not percent-encoded) bytes
 * above ASCII, e.g. Thai typed into a URL: `HPE_INVALID_URL "Invalid char in url query"`. It has no
 * safe switch to allow them (the lenient parser also relaxes header and framing checks), so such a
 * request is answered here, before any route, with CKAN's error envelope saying what to do.
 */
export function clientErrorHandler(siteUrl: string) {
  return (err: ClientError, socket: Socket): void => {
    if (err.code === 'ECONNRESET' || socket.destroyed || !socket.writable) return;
    const raw = Buffer.isBuffer(err.rawPacket) ? err.rawPacket : null;
    const firstLine = raw ? raw.subarray(0, Math.min(raw.length, 8192)).toString('latin1').split('\r\n', 1)[0]! : '';
    const target = firstLine.split(' ')[1] ?? '';
    const rawQuery = err.code === 'HPE_INVALID_URL' && /\?[^ ]*[\x80-\xff]/.test(target);
    if (!rawQuery) {
      // Everything else as Fastify's own handler answers it.
      const [code, status, message] = err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? [408, 'Request Timeout', 'Client Timeout'] : err.code === 'HPE_HEADER_OVERFLOW' ? [431, 'Request Header Fields Too Large', 'Exceeded maximum allowed HTTP header size'] : [400, 'Bad Request', 'Client Error'];
      const b = JSON.stringify({ error: status, message, statusCode: code });
      socket.write(`HTTP/1.1 ${code} ${status}\r\nContent-Length: ${b.length}\r\nContent-Type: application/json\r\n\r\n${b}`);
      return void socket.destroy(err);
    }
    const en = 'Bad request - the query string holds characters that are not percent-encoded (e.g. Thai typed raw). Percent-encode the query, e.g. q=%E0%B9%81%E0%B8%A3%E0%B8%87%E0%B8%87%E0%B8%B2%E0%B8%99, or let curl do it: curl -G --data-urlencode "q=แรงงาน" <url>';
    const th = 'คำขอไม่ถูกต้อง: ส่วน query ของที่อยู่มีอักขระที่ไม่ได้เข้ารหัสแบบ percent-encoding (เช่น พิมพ์ภาษาไทยลงไปตรง ๆ) กรุณาเข้ารหัสก่อนส่ง';
    const api = /^\/api(\/|\?|$)/.test(target);
    const body = api
      ? JSON.stringify({ help: `${siteUrl}/api/3/action/help_show?name=package_search`, success: false, error: { __type: 'Bad Request', message: `${th} (${en})` } })
      : `<!doctype html><html lang="th"><head><meta charset="utf-8"><title>คำขอไม่ถูกต้อง (Bad request)</title></head><body><h1>คำขอไม่ถูกต้อง</h1><p>${th}</p><p lang="en">${en.replace(/[<>&"]/g, (c) => `&#${c.charCodeAt(0)};`)}</p><p><a href="/">หน้าแรก (Home)</a></p></body></html>`;
    const bytes = Buffer.from(body, 'utf8');
    socket.write(
      `HTTP/1.1 400 Bad Request\r\nContent-Type: ${api ? 'application/json;charset=utf-8' : 'text/html; charset=utf-8'}\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\nContent-Length: ${bytes.length}\r\n\r\n`,
    );
    socket.end(bytes);
  };
}
