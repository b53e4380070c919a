// What the public media route may serve, to whom, and for how long. Pure: object keys in, decisions out.

import { MEDIA_BUCKETS, POSTER_FRAME, classifyKey, isFirstSegment, isPlaylistName } from "../../schema/keys";
import { isSafeKey } from "../../schema/signing";

/**
 * - public:  posters (films/{id}/poster/…, and the transcoder's poster frame …/hls/{job}/poster.jpg that the
 *            catalog falls back to) and image ads (ads/{id}/image.*): web pages link them without a token.
 * - signed:  everything else under films/ and ads/ (segments, playlists, keys, init sections): a token is
 *            needed when MEDIA_SIGNING is on.
 * - private: upload sources (…/source/…): never served here; the transcoder reads them through the
 *            internal signed-object route.
 */
export type Access = "public" | "signed" | "private";

export function accessOf(key: string): Access {
  const k = classifyKey(key);
  if (k.kind === "source") return "private";
  if (k.kind === "poster" || k.kind === "ad-image" || (k.kind === "output" && k.file === POSTER_FRAME)) return "public";
  return "signed";
}

/**
 * Why a raw object must not be served, or null. Every playlist under films/ and ads/ is a job's own
 * output (an episode's or an ad's, without the viewer's ads): a player given one plays the episode
 * with no ads or the ad on its own, so viewers only get the stitched ones of the master and variant
 * routes, whatever token they hold. Segments, keys and init sections stay servable.
 */
export function unstitchedRefusal(key: string): string | null {
  return isPlaylistName(key)
    ? "file: playlists are served only stitched with this viewer's ads (GET /api/v1/resource/media_list/{route}/{id}/{episode})"
    : null;
}

export const IMMUTABLE = "public, max-age=31536000, immutable";
/** Objects whose key can be rewritten (an ad's image): cached briefly. */
export const SHORT = "public, max-age=60";
/** Playlists made for one viewer (their ad plan): the viewer's cache only, briefly. */
export const PER_VIEWER = "private, max-age=60";

/**
 * Objects under a job's output prefix and versioned posters are never rewritten (a new transcode or poster
 * gets a new key), so clients and CDNs may keep them for good.
 */
export function cacheControlOf(key: string): string {
  const kind = classifyKey(key).kind;
  return kind === "output" || kind === "poster" ? IMMUTABLE : SHORT;
}

/** The first segment of any rendition of a FILM ad: fetching it is an impression. Returns the ad id. */
export function impressionOf(key: string): string | null {
  const k = classifyKey(key);
  return k.kind === "output" && k.owner.kind === "ad" && isFirstSegment(k.file) ? k.owner.adId : null;
}

const TYPES: Record<string, string> = {
  m3u8: "application/vnd.apple.mpegurl",
  ts: "video/mp2t",
  m4s: "video/iso.segment",
  mp4: "video/mp4",
  m4a: "audio/mp4",
  aac: "audio/aac",
  vtt: "text/vtt",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  png: "image/png",
  gif: "image/gif",
  webp: "image/webp",
  key: "application/octet-stream",
  bin: "application/octet-stream",
};

/** For objects stored without a content type. */
export function contentTypeOf(key: string): string {
  const ext = /\.([A-Za-z0-9]+)$/.exec(key)?.[1]?.toLowerCase();
  return (ext && TYPES[ext]) || "application/octet-stream";
}

export type KeyCheck = { ok: true; key: string } | { ok: false; reason: string };

/**
 * The object key a media URL names. `rawPath` is the URL path after `/media/`, still percent-encoded:
 * traversal is refused there too, so `%2e%2e`, `%2f` or `%5c` cannot sneak past a decoder.
 */
export function mediaKeyFromPath(rawPath: string): KeyCheck {
  if (/%(?:2e|2f|5c|00)/i.test(rawPath) || rawPath.includes("\\")) return { ok: false, reason: "file: encoded dots, slashes or backslashes are not allowed" };
  let key: string;
  try {
    key = decodeURIComponent(rawPath);
  } catch {
    return { ok: false, reason: "file: malformed percent-encoding" };
  }
  const bucket = key.slice(0, key.indexOf("/"));
  if (!(MEDIA_BUCKETS as readonly string[]).includes(bucket)) return { ok: false, reason: `bucket: must be one of ${MEDIA_BUCKETS.join(", ")}` };
  if (!isSafeKey(key) || key.endsWith("/") || key.split("/").length < 2) return { ok: false, reason: "file: not a valid object key" };
  return { ok: true, key };
}
