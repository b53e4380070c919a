/**
 * A least-recently-used map bounded by total weight (an estimate of bytes), so one isolate's cache of
 * parsed playlists cannot grow past its share of the 128 MB a Worker has. A Map iterates in insertion
 * order; re-inserting on use keeps the least recently used entry first.
 */
export class WeightedLru<K, V> {
  readonly #entries = new Map<K, { value: V; weight: number }>();
  #weight = 0;

  constructor(readonly maxWeight: number) {}

  get(key: K): V | undefined {
    const e = this.#entries.get(key);
    if (!e) return undefined;
    this.#entries.delete(key);
    this.#entries.set(key, e);
    return e.value;
  }

  set(key: K, value: V, weight: number): void {
    const old = this.#entries.get(key);
    if (old) {
      this.#weight -= old.weight;
      this.#entries.delete(key);
    }
    if (weight > this.maxWeight) return; // would evict everything and still not fit
    this.#entries.set(key, { value, weight });
    this.#weight += weight;
    for (const [k, e] of this.#entries) {
      if (this.#weight <= this.maxWeight) break;
      this.#entries.delete(k);
      this.#weight -= e.weight;
    }
  }

  get size(): number {
    return this.#entries.size;
  }

  get weight(): number {
    return this.#weight;
  }

  clear(): void {
    this.#entries.clear();
    this.#weight = 0;
  }
}
