// The R2 layout, in one place. Arguments must already be validated (schema/ids.ts).
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
export const episodeOutputPrefix = (filmId: string, route: string, episode: string, jobId: string) =>
  `${episodePrefix(filmId, route, episode)}hls/${jobId}/`;

export const adPrefix = (adId: string) => `ads/${adId}/`;
export const adImageKey = (adId: string, ext: string) => `ads/${adId}/image.${ext}`;
export const adSourceKey = (adId: string, jobId: string) => `ads/${adId}/source/${jobId}`;
export const adOutputPrefix = (adId: string, jobId: string) => `ads/${adId}/hls/${jobId}/`;

/** Public URL of a stored object: `{PUBLIC_BASE_URL}/api/v1/resource/media/{key}` ("bucket" = first segment). */
export const mediaUrl = (publicBase: string, key: string) => `${publicBase.replace(/\/+$/, "")}/api/v1/resource/media/${key}`;

/** Buckets the public media route serves (the first segment of a key). */
export const MEDIA_BUCKETS = ["films", "ads"] as const;

// Inside a job's output prefix, the transcoder writes:
//   master.m3u8, {rendition}/index.m3u8, {rendition}/seg_00000.ts …, poster.jpg
export const MASTER_PLAYLIST = "master.m3u8";
export const POSTER_FRAME = "poster.jpg";
