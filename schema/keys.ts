// The R2 layout, in one place. Arguments must already be validated (schema/ids.ts).
// Everything of a film lives under films/{filmId}/ and of an ad under ads/{adId}/, so deleting
// one is a prefix delete. HLS outputs sit under a prefix unique to the job that made them, so they
// are immutable and a new version never overwrites the one being watched.

export const filmPrefix = (filmId: string) => `films/${filmId}/`;
export const posterKey = (filmId: string, version: string, ext: string) => `films/${filmId}/poster/${version}.${ext}`;
export const episodePrefix = (filmId: string, route: string, episode: string) => `films/${filmId}/episodes/${route}/${episode}/`;
export const episodeSourceKey = (filmId: string, route: string, episode: string, jobId: string) =>
  `${episodePrefix(filmId, route, episode)}source/${jobId}`;
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

/** Buckets the public media route serves (the first segment of a key). */
export const MEDIA_BUCKETS = ["films", "ads"] as const;

// Inside a job's output prefix, the transcoder writes:
//   master.m3u8, {rendition}/index.m3u8, {rendition}/seg_00000.ts …, poster.jpg
export const MASTER_PLAYLIST = "master.m3u8";
export const POSTER_FRAME = "poster.jpg";
