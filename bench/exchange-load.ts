import net from 'node:net';
import { parentPort, workerData } from 'node:worker_threads';

/**
 * The load generator of bench/exchange.ts: `clients` keep-alive connections for `seconds`, each
 * sending one GET and reading its whole answer before the next; latencies in ms.
 *
 * A minimal HTTP/1.1 client over plain sockets, not fetch: it shares the 2 cores with the server
 * and PostgreSQL, and fetch's own cost per request (measured 0.3 ms of this thread) was CPU the
 * server then lacked. The answer is read exactly (status line, Content-Length or chunked body).
 * The thread's CPU time per request is reported so the reader can see what the load itself cost.
 */
const { url, token, seconds, clients } = workerData as { url: string; token: string; seconds: number; clients: number };
const u = new URL(url);
const request = Buffer.from(`GET ${u.pathname}${u.search} HTTP/1.1\r\nhost: ${u.host}\r\nauthorization: ${token}\r\nconnection: keep-alive\r\n\r\n`);
const lat: number[] = [];
let errors = 0;
const cpu0 = process.threadCpuUsage();
const start = performance.now();
const end = start + seconds * 1000;

/** Bytes of one complete answer at the front of `buf`, or 0 while it is incomplete. */
function answerLength(buf: Buffer): { length: number; status: number } {
  const head = buf.indexOf('\r\n\r\n');
  if (head < 0) return { length: 0, status: 0 };
  const headers = buf.subarray(0, head).toString('latin1');
  const status = Number(headers.slice(9, 12));
  const cl = /\r\ncontent-length:\s*(\d+)/i.exec(headers);
  if (cl) {
    const total = head + 4 + Number(cl[1]);
    return { length: buf.length >= total ? total : 0, status };
  }
  if (/\r\ntransfer-encoding:\s*chunked/i.test(headers)) {
    let at = head + 4;
    for (;;) {
      const eol = buf.indexOf('\r\n', at);
      if (eol < 0) return { length: 0, status };
      const size = parseInt(buf.subarray(at, eol).toString('latin1'), 16);
      const next = eol + 2 + size + 2;
      if (buf.length < next) return { length: 0, status };
      if (size === 0) return { length: next, status };
      at = next;
    }
  }
  return { length: head + 4, status };
}

function client(): Promise<void> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: u.hostname, port: Number(u.port) });
    socket.setNoDelay(true);
    let buf: Buffer = Buffer.alloc(0);
    let sent = 0;
    const send = () => {
      if (performance.now() >= end) { socket.end(); return resolve(); }
      sent = performance.now();
      socket.write(request);
    };
    socket.on('connect', send);
    socket.on('data', (chunk: Buffer) => {
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      const { length, status } = answerLength(buf);
      if (!length) return;
      buf = buf.subarray(length);
      if (status === 200) lat.push(performance.now() - sent);
      else errors++;
      send();
    });
    socket.on('error', () => { errors++; resolve(); });
    socket.on('close', () => resolve());
  });
}

await Promise.all(Array.from({ length: clients }, client));
const used = process.threadCpuUsage(cpu0);
parentPort!.postMessage({ n: lat.length, errors, lat, sec: (performance.now() - start) / 1000, loadCpuMs: (used.user + used.system) / 1000 });
