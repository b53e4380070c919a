// URLs of the old system (`/api/v1/resource/media/{bucket}/{object}`) that pages and apps still hold, for
// objects `npm run import` brought over. Each is answered with a permanent redirect to where the object
// lives now; nothing of the old name is used as a key, only parsed into an id, a route, an episode and a
// segment number that are looked up in D1.
//
// Episode playlists go to the stitched master (viewers never get a playlist without its ads), FILM ad
// playlists to the ad's playlist route when MEDIA_SIGNING is on. Segments go to their new object only
// while signing is off: with signing on, a redirect carrying a fresh token would hand out what signing
// is there to withhold.

import type { Context } from "hono";
import { EpisodeName, FilmId, RouteName } from "../../schema/ids";
import { adPlaylistUrl, mediaUrl } from "../../schema/keys";
import type { AppEnv } from "../env";
import { refuse } from "../lib/responses";
import { config } from "../config";

const UUID = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}";
const POSTER = new RegExp(`^(${UUID})$`);
const AD_IMAGE = new RegExp(`^(${UUID})-original-file(?:\\.[A-Za-z0-9]{1,10})?$`);
const AD_PLAYLIST = new RegExp(`^(${UUID})\\.m3u8$`);
const AD_SEGMENT = new RegExp(`^(${UUID})-(\\d{1,9})\\.ts$`);
const EPISODE_PLAYLIST = new RegExp(`^(${UUID})-(.+)\\.m3u8$`, "s");
const EPISODE_SEGMENT = new RegExp(`^(${UUID})-(.+)-(\\d{1,9})\\.ts$`, "s");

/** The names imported HLS uses (scripts/import renames the old `…-<n>.ts` to these). */
export const importedSegmentName = (n: number) => `seg_${String(n).padStart(5, "0")}.ts`;
const IMPORTED = /\/hls\/import-[0-9a-f]{16}\/$/;

/** Old buckets: `image`, `advertisement` and route names (any valid MinIO bucket name). */
export function isLegacyBucket(bucket: string): boolean {
  return bucket === "image" || bucket === "advertisement" || /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket);
}

const gone = (c: Context<AppEnv>, what: string) => refuse(c, 404, `${what}: not imported here`);
const moved = (c: Context<AppEnv>, url: string) => c.redirect(url, 301);
const signedOnly = (c: Context<AppEnv>) =>
  refuse(c, 403, "MEDIA_SIGNING is on: old segment URLs are not served; play /api/v1/resource/media_list/{route}/{id}/{episode}");

/** `bucket` and `object` are the decoded path segments after `/media/`. */
export async function legacyMedia(c: Context<AppEnv>, bucket: string, object: string): Promise<Response> {
  const db = c.env.DB;
  const base = config(c.env).publicBaseUrl;
  if (object.includes("/")) return gone(c, "file");

  if (bucket === "image") {
    const id = POSTER.exec(object)?.[1]?.toLowerCase();
    if (!id) return gone(c, "image");
    const row = await db.prepare("SELECT coalesce(poster_key, auto_poster_key) AS key FROM films WHERE id = ?").bind(id).first<{ key: string | null }>();
    return row?.key ? moved(c, mediaUrl(base, row.key)) : gone(c, "image");
  }

  if (bucket === "advertisement") {
    const image = AD_IMAGE.exec(object);
    const playlist = AD_PLAYLIST.exec(object);
    const segment = AD_SEGMENT.exec(object);
    const id = (image ?? playlist ?? segment)?.[1]?.toLowerCase();
    if (!id) return gone(c, "advertisement");
    const ad = await db.prepare("SELECT type, asset_key, hls_prefix FROM ads WHERE id = ? AND status = 'ready'").bind(id).first<{
      type: string;
      asset_key: string | null;
      hls_prefix: string | null;
    }>();
    if (!ad?.asset_key) return gone(c, "advertisement");
    // An image ad's image is public; a FILM ad's `…-original-file` was its source video, never served.
    if (image) return ad.type === "FILM" ? gone(c, "advertisement") : moved(c, mediaUrl(base, ad.asset_key));
    if (ad.type !== "FILM" || !ad.hls_prefix || !IMPORTED.test(ad.hls_prefix)) return gone(c, "advertisement");
    // The ad's own playlist route hands out tokened URIs itself, so it serves signing on and off alike.
    if (playlist) return moved(c, adPlaylistUrl(base, id));
    if (config(c.env).mediaSigning) return signedOnly(c);
    return moved(c, mediaUrl(base, ad.hls_prefix + importedSegmentName(Number(segment![2]))));
  }

  const route = RouteName.safeParse(bucket);
  const seg = EPISODE_SEGMENT.exec(object);
  const pl = seg ? null : EPISODE_PLAYLIST.exec(object);
  const m = seg ?? pl;
  if (!route.success || !m) return gone(c, "file");
  const id = FilmId.safeParse(m[1]!.toLowerCase());
  const episode = EpisodeName.safeParse(m[2]);
  if (!id.success || !episode.success) return gone(c, "file");
  const ep = await db
    .prepare("SELECT hls_prefix FROM episodes WHERE film_id = ? AND route = ? AND episode = ? AND status = 'ready'")
    .bind(id.data, route.data, episode.data)
    .first<{ hls_prefix: string | null }>();
  if (!ep?.hls_prefix) return gone(c, "file");
  if (pl) {
    const master = `${base.replace(/\/+$/, "")}/api/v1/resource/media_list/${encodeURIComponent(route.data)}/${id.data}/${encodeURIComponent(episode.data)}`;
    return moved(c, master);
  }
  if (!IMPORTED.test(ep.hls_prefix)) return gone(c, "file");
  if (config(c.env).mediaSigning) return signedOnly(c);
  return moved(c, mediaUrl(base, ep.hls_prefix + importedSegmentName(Number(seg![3]))));
}

/**
 * The media route's hook: null when `rawPath` (after `/media/`, still percent-encoded) names one of
 * today's buckets, else the answer for an old URL.
 */
export async function legacyMediaFromPath(c: Context<AppEnv>, rawPath: string): Promise<Response | null> {
  const slash = rawPath.indexOf("/");
  const bucket = slash < 0 ? rawPath : rawPath.slice(0, slash);
  if (bucket === "films" || bucket === "ads" || !isLegacyBucket(bucket) || slash < 0) return null;
  let object: string;
  try {
    object = decodeURIComponent(rawPath.slice(slash + 1));
  } catch {
    return refuse(c, 400, "file: malformed percent-encoding");
  }
  return legacyMedia(c, bucket, object);
}
