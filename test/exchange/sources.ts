import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** Real look-up sources on loopback: a good registry, a slow one, a broken one (500) and one answering bad JSON. */
export interface Sources {
  good: string;
  slow: string;
  broken: string;
  badJson: string;
  /** Every path and body the servers were asked, to show what reached them. */
  seen: string[];
  close(): Promise<void>;
}

export const PAID = '1101700230708';

export async function startSources(): Promise<Sources> {
  const seen: string[] = [];
  const servers: http.Server[] = [];
  const start = async (handler: http.RequestListener) => {
    const s = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        seen.push(`${req.method} ${req.url} ${body}`);
        handler(req, res);
      });
    });
    servers.push(s);
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
  };
  const good = await start((req, res) => {
    const cid = (req.url ?? '').split('/').pop();
    if (cid === PAID) return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ data: { status: 'PAID', amount: 600 } }));
    if (cid?.startsWith('3')) return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ data: { status: 'PENDING' } }));
    res.writeHead(404).end('{}');
  });
  // Never answers: only the caller's time-out ends the wait (closeAllConnections ends it at the close).
  const slow = await start(() => undefined);
  const broken = await start((_req, res) => res.writeHead(500, { 'content-type': 'text/plain' }).end('Internal error at /benefit'));
  const badJson = await start((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"data": {"status": "PAID"'));
  return {
    good, slow, broken, badJson, seen,
    async close() {
      for (const s of servers) {
        s.closeAllConnections();
        await new Promise((r) => s.close(r));
      }
    },
  };
}
