// Rows and R2 objects as the transcoder and the admin API leave them, inserted directly. Storage is per test
// file and not reset between tests: every helper makes fresh ids.

import { env } from "cloudflare:workers";
import type { Rendition } from "../../schema/jobs";
import { adOutputPrefix, episodeOutputPrefix } from "../../schema/keys";
import worker from "../../edge/index";
import { vod } from "./hls-fixtures";

export interface RenditionSpec {
  name: string;
  bandwidth: number;
  durations: number[];
  /** Playlist text instead of the generated one. */
  text?: string;
  /** Also store segment objects (bytes: `${name}:${i}` padded to `segmentBytes`). */
  segments?: boolean;
  /** fMP4: an EXT-X-MAP init segment and .m4s segments, as SEGMENT_FORMAT=fmp4 writes them. Default ts. */
  container?: "ts" | "fmp4";
  /** Directory of the rendition under the output prefix (an ad's alternate ladder: "fmp4/"). */
  dir?: string;
  /** Its storyboard's WebVTT track, relative to the prefix. */
  storyboard?: string;
}

const segmentBytes = 188 * 4;

export function segmentBody(name: string, i: number): Uint8Array {
  const b = new Uint8Array(segmentBytes);
  b.set(new TextEncoder().encode(`${name}:${i}`));
  return b;
}

function rendition(r: RenditionSpec): Rendition {
  const h = Math.round(r.bandwidth / 5000);
  const base = { name: r.name, bandwidth: r.bandwidth, width: Math.round((h * 16) / 9), height: h, codecs: "avc1.42c01e,mp4a.40.2", playlist: `${r.dir ?? ""}${r.name}/index.m3u8` };
  return { ...base, ...(r.container ? { container: r.container } : {}), ...(r.storyboard ? { storyboard: r.storyboard } : {}) };
}

function playlistText(r: RenditionSpec): string {
  if (r.text) return r.text;
  if (r.container !== "fmp4") return vod({ durations: r.durations });
  return vod({ durations: r.durations, version: 7, header: [`#EXT-X-MAP:URI="init_${r.name}.mp4"`], uri: (i) => `seg_${String(i).padStart(5, "0")}.m4s` });
}

async function storeRenditions(prefix: string, specs: RenditionSpec[]) {
  for (const r of specs) {
    await env.MEDIA.put(`${prefix}${r.dir ?? ""}${r.name}/index.m3u8`, playlistText(r), { httpMetadata: { contentType: "application/vnd.apple.mpegurl" } });
    if (r.segments) {
      await Promise.all(r.durations.map((_, i) => env.MEDIA.put(`${prefix}${r.name}/seg_${String(i).padStart(5, "0")}.ts`, segmentBody(r.name, i), { httpMetadata: { contentType: "video/mp2t" } })));
    }
  }
}

export interface SeededEpisode {
  filmId: string;
  route: string;
  episode: string;
  jobId: string;
  prefix: string;
  renditions: Rendition[];
  /** `/api/v1/resource/media_list/{route}/{id}/{episode}` */
  path: string;
}

export async function seedEpisode(opts: { renditions: RenditionSpec[]; status?: string; duration?: number; route?: string; episode?: string }): Promise<SeededEpisode> {
  const filmId = crypto.randomUUID();
  const jobId = crypto.randomUUID();
  const route = opts.route ?? "line1";
  const episode = opts.episode ?? "1";
  const prefix = episodeOutputPrefix(filmId, route, episode, jobId);
  const now = Date.now();
  await env.DB.prepare("INSERT INTO films (id, title, type, category, location, created_at, updated_at) VALUES (?, ?, 'MOVIE', 'MOVIE_DRAMA', 'US', ?, ?)")
    .bind(filmId, `film ${filmId}`, now, now)
    .run();
  await storeRenditions(prefix, opts.renditions);
  const renditions = opts.renditions.map(rendition);
  const duration = opts.duration ?? opts.renditions[0]!.durations.reduce((a, b) => a + b, 0);
  await env.DB.prepare(
    "INSERT INTO episodes (film_id, route, episode, status, job_id, hls_prefix, master_key, duration, renditions, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
  )
    .bind(filmId, route, episode, opts.status ?? "ready", jobId, prefix, `${prefix}master.m3u8`, duration, JSON.stringify(renditions), now, now)
    .run();
  return { filmId, route, episode, jobId, prefix, renditions, path: `/api/v1/resource/media_list/${route}/${filmId}/${episode}` };
}

export interface SeededAd {
  id: string;
  prefix: string;
  renditions: Rendition[];
}

export async function seedFilmAd(opts: { renditions: RenditionSpec[]; status?: string; expiresAt?: number }): Promise<SeededAd> {
  const id = crypto.randomUUID();
  const jobId = crypto.randomUUID();
  const prefix = adOutputPrefix(id, jobId);
  await storeRenditions(prefix, opts.renditions);
  const renditions = opts.renditions.map(rendition);
  const duration = opts.renditions[0]!.durations.reduce((a, b) => a + b, 0);
  await env.DB.prepare(
    "INSERT INTO ads (id, type, status, asset_key, hls_prefix, job_id, duration, renditions, expires_at, created_at) VALUES (?, 'FILM', ?, ?, ?, ?, ?, ?, ?, ?)",
  )
    .bind(id, opts.status ?? "ready", `${prefix}master.m3u8`, prefix, jobId, duration, JSON.stringify(renditions), opts.expiresAt ?? Date.now() + 86_400_000, Date.now())
    .run();
  return { id, prefix, renditions };
}

/** Makes these the only FILM ads that can be picked (storage is per test file, so this stays in this file). */
export async function onlyFilmAds(ids: string[]) {
  await env.DB.prepare(`UPDATE ads SET expires_at = 0 WHERE type = 'FILM' AND id NOT IN (${ids.map(() => "?").join(",") || "''"})`)
    .bind(...ids)
    .run();
}

type Vars = Partial<Record<"AD_BREAKS" | "AD_SERVER_URL" | "AD_DECISION_TIMEOUT_MS" | "MAX_UPLOAD_BYTES" | "MEDIA_SIGNING" | "SIGNING_SECRET" | "PUBLIC_BASE_URL" | "CATALOG_FRESH_SECONDS" | "CATALOG_STALE_SECONDS" | "CATALOG_VERSION_CHECK_SECONDS", string>>;

/** Calls the worker with some vars changed, and waits for its waitUntil work. */
export async function call(url: string, init: RequestInit = {}, vars: Vars = {}): Promise<Response> {
  const { createExecutionContext, waitOnExecutionContext } = await import("cloudflare:test");
  const ctx = createExecutionContext();
  const full = url.startsWith("http") ? url : `https://edge.test${url}`;
  const res = await worker.fetch!(new Request(full, init) as Request<unknown, IncomingRequestCfProperties>, { ...env, ...vars } as typeof env, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

/** The variant URIs of a master playlist. */
export function variantUris(master: string): string[] {
  return master.split("\n").filter((l) => l !== "" && !l.startsWith("#"));
}

/** The ad plan inside a variant URI, decoded (without checking it). */
export function planOf(uri: string): { s: string; b: Array<[string, number]>; e: number } {
  const token = new URL(uri).searchParams.get("plan")!;
  const payload = token.split(".")[0]!;
  return JSON.parse(atob(payload.replaceAll("-", "+").replaceAll("_", "/") + "=".repeat((4 - (payload.length % 4)) % 4)));
}

/** A playlist body as text (Response.text() warns about the non-text/* HLS content type). */
export async function body(res: Response): Promise<string> {
  return new TextDecoder().decode(await res.arrayBuffer());
}
