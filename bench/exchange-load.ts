import { parentPort, workerData } from 'node:worker_threads';

/** The load generator of bench/exchange.ts: `clients` keep-alive loops for `seconds`, latencies in ms. */
const { url, token, seconds, clients } = workerData as { url: string; token: string; seconds: number; clients: number };
const lat: number[] = [];
let errors = 0;
const start = performance.now();
const end = start + seconds * 1000;
await Promise.all(Array.from({ length: clients }, async () => {
  while (performance.now() < end) {
    const t = performance.now();
    try {
      const r = await fetch(url, { headers: { authorization: token } });
      await r.arrayBuffer();
      if (r.status !== 200) errors++;
      else lat.push(performance.now() - t);
    } catch {
      errors++;
    }
  }
}));
parentPort!.postMessage({ n: lat.length, errors, lat, sec: (performance.now() - start) / 1000 });
