// Parsed media playlists, read through three levels: this isolate's LRU, the colo's Cache API, then R2.
// Every playlist here lives under a job's output prefix and is never rewritten, so nothing is ever
// invalidated: a new transcode has a new prefix, and the episode row in D1 says which prefix is current.

import { type MediaPlaylist, parseMediaPlaylist } from "../hls";
import { WeightedLru } from "../lib/lru";

/** Parsed objects take several times their text; 8× is a generous estimate, 48 MB of estimate in all. */
const WEIGHT_PER_CHAR = 8;
const parsed = new WeightedLru<string, MediaPlaylist>(48 * 1024 * 1024);
/** Concurrent requests of one isolate for the same playlist share one read. */
const inflight = new Map<string, Promise<MediaPlaylist | null>>();

const CACHE_ORIGIN = "https://playlist-cache.internal/";

export class StoredPlaylistError extends Error {}

/** Reads playlists for one request and counts where they came from, for the cost header. */
export class PlaylistStore {
  lru = 0;
  cache = 0;
  r2 = 0;

  constructor(
    private readonly bucket: R2Bucket,
    private readonly waitUntil: (p: Promise<unknown>) => void,
    private readonly cacheApi: Cache | null = typeof caches === "undefined" ? null : caches.default,
  ) {}

  /** null when the object does not exist; throws StoredPlaylistError when it is not a valid media playlist. */
  async get(key: string): Promise<MediaPlaylist | null> {
    const hit = parsed.get(key);
    if (hit) {
      this.lru++;
      return hit;
    }
    let pending = inflight.get(key);
    if (pending) {
      this.lru++;
      return pending;
    }
    pending = this.#load(key).finally(() => inflight.delete(key));
    inflight.set(key, pending);
    return pending;
  }

  async #load(key: string): Promise<MediaPlaylist | null> {
    let text: string | null = null;
    const cacheKey = new Request(CACHE_ORIGIN + key);
    if (this.cacheApi) {
      try {
        const res = await this.cacheApi.match(cacheKey);
        if (res) {
          text = await res.text();
          this.cache++;
        }
      } catch {
        // The Cache API is an optimisation; R2 is the truth.
      }
    }
    if (text === null) {
      const obj = await this.bucket.get(key);
      this.r2++;
      if (!obj) return null;
      text = await obj.text();
      if (this.cacheApi) {
        const res = new Response(text, { headers: { "Cache-Control": "public, max-age=31536000, immutable", "Content-Type": "application/vnd.apple.mpegurl" } });
        this.waitUntil(this.cacheApi.put(cacheKey, res).catch(() => undefined));
      }
    }
    let pl: MediaPlaylist;
    try {
      pl = parseMediaPlaylist(text, key);
    } catch (e) {
      throw new StoredPlaylistError(`${key}: ${(e as Error).message}`);
    }
    parsed.set(key, pl, text.length * WEIGHT_PER_CHAR);
    return pl;
  }

  /** `lru=…, cache=…, r2=…`: where this request's playlists came from. */
  describe(): string {
    return `lru=${this.lru}, cache=${this.cache}, r2=${this.r2}`;
  }
}

/** Test hook: forget this isolate's parsed playlists (the Cache API level stays). */
export function clearParsedPlaylists(): void {
  parsed.clear();
}
