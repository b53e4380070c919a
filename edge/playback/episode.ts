// The episode a playback URL names, and whether it can be played: shared by the master and variant playlists.
import { type CaptionEntry, type Rendition, validCaptions, validRenditions } from "../../schema/jobs";

/** As the route's path names it. */
export interface EpisodeRef {
  id: string;
  route: string;
  episode: string;
}

/** What an ad plan is signed for: a plan of one episode opens no other. */
export const planScope = (e: EpisodeRef) => `${e.id}/${e.route}/${e.episode}`;

export const notReady = (e: EpisodeRef) => `episode ${e.route}/${e.episode} of film ${e.id} is not ready`;

export interface Playable {
  hlsPrefix: string;
  duration: number;
  renditions: Rendition[];
  /** Its caption tracks, by language. */
  captions: CaptionEntry[];
}

/** The episode row when it can be played: ready, with an output and at least one valid rendition. */
export function playable(row: { status: string; hlsPrefix: string | null; duration: number | null; renditions: unknown; captions?: unknown } | undefined): Playable | null {
  const renditions = validRenditions(row?.renditions);
  if (!row || row.status !== "ready" || !row.hlsPrefix || renditions.length === 0) return null;
  return { hlsPrefix: row.hlsPrefix, duration: row.duration ?? 0, renditions, captions: validCaptions(row.captions) };
}
