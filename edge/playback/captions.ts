// Captions in playback: the subtitle playlist of one language for a viewer's plan, and the caption segments
// it names. The pure work is in edge/captions (parsing, windows, the synthetic playlists) and edge/hls
// (the stitcher, the timestamp readers); this loads what they need.
//
// Caption segment URLs carry the content's first timestamp (`ts=`, X-TIMESTAMP-MAP's MPEGTS) next to the
// caption file's version: a re-transcode can move the video's timestamps (another container, another
// muxer) while the captions stay, and then the URL changes with them, so a segment stays immutable.
// Without `ts` (the URL as first specified) the base is read from the episode's current video.

import { captionKey, captionsPrefix } from "../../schema/keys";
import { type Clip, CueIndex, EMPTY_VTT, clipCues, parseCaptions, secondsParam, segmentVtt, subtitlePlaylist } from "../captions";
import { config } from "../config";
import type { Env } from "../env";
import { type MediaPlaylist, firstFmp4Timestamp, firstTsTimestamp, fmp4Timescales } from "../hls";
import { WeightedLru } from "../lib/lru";
import { type EpisodeRef, notReady, playable } from "./episode";
import { mediaQuery } from "./media-tokens";
import { PlaylistStore } from "./playlist-store";
import type { PlaybackRows } from "./rows";
import { type Refusal, contentOf, costHeaders, isRefusal, stitchSources } from "./variant";

export const EMPTY_CAPTIONS_PATH = "/api/v1/resource/captions/empty.vtt";
export { EMPTY_VTT };

const refusal = (status: Refusal["status"], reason: string): Refusal => ({ ok: false, status, reason });

// ---- the content's first timestamp -----------------------------------------------------------------

/** How much of the first segment is read: the first PES of every stream (or the first moof) is near its start. */
const HEAD_BYTES = 256 * 1024;
/** By first-segment key: objects under an output prefix never change. */
const bases = new WeightedLru<string, number>(100_000);
const BASE_CACHE = "https://timeline-base.internal/";

/**
 * The content's first timestamp at 90 kHz, read from the first segment of `content` (and its init
 * section in fMP4); 0, logged, when it cannot be read (then cues may be off by the muxer's start offset).
 */
export async function mpegtsBase(bucket: R2Bucket, content: MediaPlaylist, waitUntil: (p: Promise<unknown>) => void, cacheApi: Cache | null = typeof caches === "undefined" ? null : caches.default): Promise<number> {
  const seg = content.segments[0]!;
  const key = seg.uri;
  const known = bases.get(key);
  if (known !== undefined) return known;
  const cacheKey = new Request(BASE_CACHE + key);
  const cached = await cacheApi?.match(cacheKey).catch(() => undefined);
  if (cached) {
    const n = Number(await cached.text());
    if (Number.isSafeInteger(n) && n >= 0) {
      bases.set(key, n, 1);
      return n;
    }
  }
  const read = await readBase(bucket, content).catch((e: unknown) => {
    console.error(`timeline base of ${key}: ${String(e)}`);
    return null;
  });
  if (read === null) {
    console.error(`timeline base of ${key}: no timestamp found; captions use MPEGTS 0`);
    return 0;
  }
  bases.set(key, read, 1);
  if (cacheApi) waitUntil(cacheApi.put(cacheKey, new Response(String(read), { headers: { "Cache-Control": "public, max-age=31536000, immutable" } })).catch(() => undefined));
  return read;
}

async function readBase(bucket: R2Bucket, content: MediaPlaylist): Promise<number | null> {
  const seg = content.segments[0]!;
  if (seg.uri.includes(":")) return null; // another host's segment: not ours to read
  const length = Math.min(seg.byteRange?.length ?? HEAD_BYTES, HEAD_BYTES);
  const obj = await bucket.get(seg.uri, { range: { offset: seg.byteRange?.offset ?? 0, length } });
  if (!obj) return null;
  const head = new Uint8Array(await obj.arrayBuffer());
  if (!seg.map) return firstTsTimestamp(head);
  const range = seg.map.rest.find(([n]) => n === "BYTERANGE")?.[1]?.replaceAll('"', "");
  const [len, off] = (range ?? "").split("@").map(Number);
  const init = await bucket.get(seg.map.uri, range ? { range: { offset: off || 0, length: len! } } : undefined);
  if (!init) return null;
  return firstFmp4Timestamp(head, fmp4Timescales(new Uint8Array(await init.arrayBuffer())));
}

// ---- stored caption files --------------------------------------------------------------------------

/** Parsed caption files by key (immutable: a new upload is a new key). Weight: the cues' text, roughly. */
const parsedCaptions = new WeightedLru<string, CueIndex>(32 * 1024 * 1024);

async function storedCues(bucket: R2Bucket, key: string): Promise<CueIndex | null> {
  const hit = parsedCaptions.get(key);
  if (hit) return hit;
  const obj = await bucket.get(key);
  if (!obj) return null;
  const bytes = new Uint8Array(await obj.arrayBuffer());
  const parsed = parseCaptions(bytes);
  // Written by the admin route after the same parse: a failure here is a corrupt object.
  if (!parsed.ok) throw new Error(`stored captions ${key} do not parse: ${parsed.reason}`);
  const index = new CueIndex(parsed.captions.cues);
  parsedCaptions.set(key, index, bytes.length * 4 + 64);
  return index;
}

/** Test hook: forget the parsed caption files and timeline bases of this isolate. */
export function clearCaptionCaches(): void {
  parsedCaptions.clear();
  bases.clear();
}

// ---- the subtitle playlist -------------------------------------------------------------------------

export type Subtitles = { ok: true; text: string; cost: Record<string, string> } | Refusal;

const episodePath = (ref: EpisodeRef) => `/api/v1/resource/media_list/${encodeURIComponent(ref.route)}/${ref.id}/${encodeURIComponent(ref.episode)}`;

/** The subtitle playlist's URL of one language (the master's EXT-X-MEDIA URI), with the plan's query. */
export const subtitlePlaylistUrl = (publicBaseUrl: string, ref: EpisodeRef, lang: string, query: string) => `${publicBaseUrl}${episodePath(ref)}/s/${lang}.m3u8${query}`;

export async function subtitles(env: Env, rows: PlaybackRows, waitUntil: (p: Promise<unknown>) => void, ref: EpisodeRef & { lang: string; plan: string | undefined }): Promise<Subtitles> {
  const { publicBaseUrl } = config(env);
  const src = await stitchSources(env, rows, waitUntil, ref);
  if (isRefusal(src)) return src;
  const entry = src.ep.captions.find((c) => c.lang === ref.lang);
  if (!entry) return refusal(404, `lang: episode ${ref.route}/${ref.episode} of film ${ref.id} has no captions in ${ref.lang}`);
  // The subtitles follow the first rendition's segments; the transcoder cuts every rendition at the same times.
  const first = src.ep.renditions[0]!;
  const content = contentOf(src, 0, first.name);
  if (isRefusal(content)) return content;
  const base = await mpegtsBase(env.MEDIA, content, waitUntil);
  const token = (await mediaQuery(env, captionsPrefix(ref.id, ref.route, ref.episode))).replace("?", "&");
  const segmentBase = `${publicBaseUrl}${episodePath(ref)}/c/${entry.lang}/${entry.version}.vtt`;
  const ads = src.breaks.flatMap(([id, at]) => {
    const ad = src.usable.get(id);
    return ad ? [{ id, at, playlist: ad.chosen[0]!.pl }] : [];
  });
  const result = subtitlePlaylist({
    content,
    segmentUrl: (from, to, clip) => `${segmentBase}?from=${secondsParam(from)}&to=${secondsParam(to)}${clip ? `&clip=${clip}` : ""}&ts=${base}${token}`,
    emptyUrl: publicBaseUrl + EMPTY_CAPTIONS_PATH,
    ads,
    targetDuration: src.targetDuration,
  });
  return { ok: true, text: result.text, cost: costHeaders(rows, src.store, src.d1Ms, src.r2Ms) };
}

// ---- a caption segment -----------------------------------------------------------------------------

export type Segment = { ok: true; text: string; immutable: boolean } | Refusal;

/** `from`/`to` in ms; `ts` the X-TIMESTAMP-MAP base when the URL carries it. */
export async function captionSegment(
  env: Env,
  rows: PlaybackRows,
  waitUntil: (p: Promise<unknown>) => void,
  req: EpisodeRef & { lang: string; version: string; from: number; to: number; clip: Clip | undefined; ts: number | undefined },
): Promise<Segment> {
  const key = captionKey(req.id, req.route, req.episode, req.lang, req.version);
  const cues = await storedCues(env.MEDIA, key);
  if (!cues) return refusal(404, `captions ${req.lang}/${req.version} of episode ${req.route}/${req.episode} of film ${req.id} not found`);
  let base = req.ts;
  if (base === undefined) {
    const ep = playable((await rows.episode(req)) ?? undefined);
    if (!ep) return refusal(404, notReady(req));
    const content = await new PlaylistStore(env.MEDIA, waitUntil).get(ep.hlsPrefix + ep.renditions[0]!.playlist).catch(() => null);
    if (!content) return refusal(404, `the playlist of rendition ${ep.renditions[0]!.name} is missing or invalid`);
    base = await mpegtsBase(env.MEDIA, content, waitUntil);
  }
  return { ok: true, text: segmentVtt(clipCues(cues.window(req.from, req.to), req.from, req.to, req.clip), base), immutable: req.ts !== undefined };
}
