// The R2 layout, in one place: every key is built here, and read back (classified) here, so the
// edge's media policy and the transcoder's file names cannot drift from it. Arguments must already
// be validated (schema/ids.ts).
// Everything of a film lives under films/{filmId}/ and of an ad under ads/{adId}/, so deleting
// one is a prefix delete. HLS outputs sit under a prefix unique to the job that made them, so they
// are immutable and a new version never overwrites the one being watched.

export const filmPrefix = (filmId: string) => `films/${filmId}/`;
export const posterKey = (filmId: string, version: string, ext: string) => `films/${filmId}/poster/${version}.${ext}`;
/**
 * Route and episode names may be any text (schema/ids.ts); a key holds them as they are only when they are
 * plain ASCII names, else as `~` + base64url of their UTF-8, which no plain name starts with (no collision).
 */
export function keySegment(name: string): string {
  if (/^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,63}$/.test(name) && !name.includes("..")) return name;
  let bin = "";
  for (const b of new TextEncoder().encode(name)) bin += String.fromCharCode(b);
  return `~${btoa(bin).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "")}`;
}
export const episodePrefix = (filmId: string, route: string, episode: string) => `films/${filmId}/episodes/${keySegment(route)}/${keySegment(episode)}/`;
export const episodeSourceKey = (filmId: string, route: string, episode: string, jobId: string) =>
  `${episodePrefix(filmId, route, episode)}source/${jobId}`;
/** An episode's captions, beside its sources and outputs (so deleting the episode or the film deletes them). */
export const captionsPrefix = (filmId: string, route: string, episode: string) => `${episodePrefix(filmId, route, episode)}captions/`;
/**
 * One upload of one language's captions, normalised to WebVTT. `lang` is a canonical BCP 47 tag, `version`
 * fresh per upload, so a replaced file never shares a key (or a cached copy) with the one before it.
 */
export const captionKey = (filmId: string, route: string, episode: string, lang: string, version: string) =>
  `${captionsPrefix(filmId, route, episode)}${keySegment(lang)}/${version}.vtt`;
export const episodeOutputPrefix = (filmId: string, route: string, episode: string, jobId: string) =>
  `${episodePrefix(filmId, route, episode)}hls/${jobId}/`;

export const adPrefix = (adId: string) => `ads/${adId}/`;
export const adImageKey = (adId: string, ext: string) => `ads/${adId}/image.${ext}`;
export const adSourceKey = (adId: string, jobId: string) => `ads/${adId}/source/${jobId}`;
export const adOutputPrefix = (adId: string, jobId: string) => `ads/${adId}/hls/${jobId}/`;

/**
 * Public URL of a stored object: `{PUBLIC_BASE_URL}/api/v1/resource/media/{key}` ("bucket" = first segment).
 * `publicBase` has no trailing slash (edge/config.ts strips it).
 */
export const mediaUrl = (publicBase: string, key: string) => `${publicBase}/api/v1/resource/media/${key}`;

/** A FILM ad's own playlist route (edge/playback/ad-playlists.ts): its variant URIs can carry media tokens. */
export const adPlaylistUrl = (publicBase: string, adId: string) => `${publicBase}/api/v1/resource/ad_list/${adId}/master.m3u8`;

/** Buckets the public media route serves (the first segment of a key). */
export const MEDIA_BUCKETS = ["films", "ads"] as const;

// ---- inside a job's output prefix -----------------------------------------------------------------
// The transcoder writes these names and the edge reads them back: master.m3u8, {rendition}/index.m3u8,
// {rendition}/seg_00000.ts … (or {rendition}/init_{rendition}.mp4 and seg_00000.m4s … in fMP4), poster.jpg;
// an ad also has its ladder in the other container under {format}/.

export const MASTER_PLAYLIST = "master.m3u8";
export const renditionPlaylist = (rendition: string) => `${rendition}/index.m3u8`;
/** The ladder's segment containers (the transcoder's SEGMENT_FORMAT). */
export const SEGMENT_FORMATS = ["ts", "fmp4"] as const;
export type SegmentFormat = (typeof SEGMENT_FORMATS)[number];
/** ffmpeg's pattern for a rendition's segments: seg_00000.ts … (MPEG-TS) or seg_00000.m4s … (fMP4/CMAF). */
export const segmentPattern = (format: SegmentFormat) => (format === "fmp4" ? "seg_%05d.m4s" : "seg_%05d.ts");
export const SEGMENT_PATTERN = segmentPattern("ts");
/** ffmpeg's pattern for an fMP4 rendition's initialization segment (EXT-X-MAP), beside its playlist; %v = the rendition. */
export const INIT_PATTERN = "init_%v.mp4";
export const initSegment = (rendition: string) => `${rendition}/${INIT_PATTERN.replace("%v", rendition)}`;
/**
 * An ad's ladder in the other container, so it fits content of either kind: under `{format}/`, e.g.
 * `fmp4/360p/index.m3u8` beside the primary `360p/index.m3u8`.
 */
export const alternateDir = (format: SegmentFormat) => `${format}/`;
/** A frame of the video, the film's fallback poster. */
export const POSTER_FRAME = "poster.jpg";
/**
 * Seek previews (a storyboard): sprite sheets of small thumbnails, and a WebVTT track whose cues point at
 * their tiles (`sprite_000.jpg#xywh=x,y,w,h`, relative to the track).
 */
export const STORYBOARD_VTT = "storyboard/thumbnails.vtt";
export const STORYBOARD_SPRITE_PATTERN = "storyboard/sprite_%03d.jpg";
export const storyboardSprite = (n: number) => STORYBOARD_SPRITE_PATTERN.replace("%03d", String(n).padStart(3, "0"));

/**
 * The first segment of a rendition (`seg_00000.ts`; any count of zeros and the other segment types
 * are accepted too): a player fetches it exactly once each time it plays an ad, so it counts impressions.
 */
export const isFirstSegment = (file: string) => /^(?:(?:ts|fmp4)\/)?(?:[^/]+\/)?seg_0+\.(?:ts|m4s|mp4|aac)$/.test(file);

/** A playlist by its name (`.m3u8`, or the older `.m3u`), whatever the case. */
export const isPlaylistName = (key: string) => /\.m3u8?$/i.test(key);

// ---- reading a key back ---------------------------------------------------------------------------

/** What a source or an HLS output belongs to. */
export type KeyOwner = { kind: "episode"; filmId: string; route: string; episode: string } | { kind: "ad"; adId: string };

export type KeyKind =
  | { kind: "poster"; filmId: string }
  | { kind: "ad-image"; adId: string }
  | { kind: "source"; owner: KeyOwner }
  /** `file` is relative to the job's output prefix (e.g. `720p/seg_00000.ts`). */
  | { kind: "output"; owner: KeyOwner; jobId: string; file: string }
  | { kind: "other" };

/** Which part of the layout a key is (the inverse of the builders above). */
export function classifyKey(key: string): KeyKind {
  const p = key.split("/");
  if (p[0] === "films" && p[1]) {
    if (p.length === 4 && p[2] === "poster" && p[3]) return { kind: "poster", filmId: p[1] };
    if (p[2] === "episodes" && p[3] && p[4]) return owned({ kind: "episode", filmId: p[1], route: p[3], episode: p[4] }, p.slice(5));
  } else if (p[0] === "ads" && p[1]) {
    if (p.length === 3 && /^image\.[A-Za-z0-9]+$/.test(p[2]!)) return { kind: "ad-image", adId: p[1] };
    return owned({ kind: "ad", adId: p[1] }, p.slice(2));
  }
  return { kind: "other" };
}

/** `rest`: the key's segments after its owner's prefix. */
function owned(owner: KeyOwner, rest: string[]): KeyKind {
  if (rest[0] === "source" && rest.length >= 2) return { kind: "source", owner };
  if (rest[0] === "hls" && rest[1] && rest.length >= 3) return { kind: "output", owner, jobId: rest[1], file: rest.slice(2).join("/") };
  return { kind: "other" };
}
