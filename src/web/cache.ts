/**
 * A small time-limited cache for what many anonymous visitors share (the home page's counts and
 * lists). Concurrent misses wait for one computation instead of each running the same queries.
 */
export class TtlCache {
  private readonly entries = new Map<string, { at: number; value: Promise<unknown> }>();
  private readonly ttlMs: number;
  constructor(ttlMs: number) {
    this.ttlMs = ttlMs;
  }

  get<T>(key: string, compute: () => Promise<T>): Promise<T> {
    const now = Date.now();
    const hit = this.entries.get(key);
    if (hit && now - hit.at < this.ttlMs) return hit.value as Promise<T>;
    for (const [k, e] of this.entries) if (now - e.at >= this.ttlMs) this.entries.delete(k);
    const value = compute();
    this.entries.set(key, { at: now, value });
    // A failure is not kept: the next visitor tries again.
    value.catch(() => this.entries.delete(key));
    return value;
  }
}
