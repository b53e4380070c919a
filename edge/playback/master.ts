// The master playlist of an episode for one viewer: FILM ads picked for the breaks of AD_BREAKS, the
// plan signed into every variant URI, so every variant the player loads carries the same ads at the
// same places. Built from D1 alone (one batch), no R2 read.
import type { DrizzleD1Database } from "drizzle-orm/d1";
import { containerOf, validRenditions } from "../../schema/jobs";
import { config } from "../config";
import type { Env } from "../env";
import { MAX_BREAKS, assignAds, closestByBandwidth, planBreakTimes, serializeMaster, signPlan } from "../hls";
import { type EpisodeRef, planScope, playable } from "./episode";
import { mediaUrl } from "../../schema/keys";
import { MEDIA_TOKEN_TTL_SECONDS, expiryFrom, mediaQuery } from "./media-tokens";
import { episodeQuery, randomFilmAdsQuery } from "./queries";

/** The EXT-X-SESSION-DATA that carries the URL of an episode's storyboard (WebVTT with #xywh sprite tiles). */
export const STORYBOARD_DATA_ID = "com.edge-stream.storyboard";

export interface Master {
  text: string;
  /** Ad breaks planned (the X-Ad-Breaks header). */
  breaks: number;
}

/** null when the episode cannot be played. */
export async function masterPlaylist(env: Env, db: DrizzleD1Database, ref: EpisodeRef): Promise<Master | null> {
  const { adBreaks, signingSecret: secret, publicBaseUrl } = config(env);
  // Unsigned plans could be rewritten by the viewer: without the secret there are no ads.
  const wantAds = secret ? Math.min(adBreaks.length, MAX_BREAKS) : 0;
  const [episodes, adRows] = wantAds
    ? await db.batch([episodeQuery(db, ref.id, ref.route, ref.episode), randomFilmAdsQuery(db, wantAds, Date.now())])
    : [await episodeQuery(db, ref.id, ref.route, ref.episode), []];
  const ep = playable(episodes[0]);
  if (!ep) return null;

  // Only ads with renditions in the content's container: a break is never planned for an ad the
  // stitcher would have to drop (a playlist cannot switch between MPEG-TS and fMP4).
  const container = containerOf(ep.renditions[0]!);
  const ads = adRows
    .map((a) => ({ id: a.id, renditions: validRenditions(a.renditions).filter((r) => containerOf(r) === container) }))
    .filter((a) => a.renditions.length > 0);
  const plan = assignAds(
    ads.map((a) => a.id),
    planBreakTimes(adBreaks, ep.duration),
  );
  const now = Math.floor(Date.now() / 1000);
  const query = secret ? `?plan=${await signPlan(secret, { scope: planScope(ref), breaks: plan, exp: expiryFrom(now, MEDIA_TOKEN_TTL_SECONDS) })}` : "";
  const usedAds = ads.filter((a) => plan.some(([adId]) => adId === a.id));
  // Seek previews: the storyboard's WebVTT track (its sprites are beside it; the token covers the prefix).
  const storyboard = ep.renditions.find((r) => r.storyboard)?.storyboard;
  const sessionData = storyboard
    ? [{ id: STORYBOARD_DATA_ID, value: mediaUrl(publicBaseUrl, ep.hlsPrefix + storyboard) + (await mediaQuery(env, ep.hlsPrefix)) }]
    : undefined;
  const base = `${publicBaseUrl}/api/v1/resource/media_list/${ref.route}/${ref.id}/${encodeURIComponent(ref.episode)}/v/`;
  const text = serializeMaster({
    independentSegments: false,
    sessionData,
    variants: ep.renditions.map((r) => ({
      uri: `${base}${encodeURIComponent(r.name)}.m3u8${query}`,
      // BANDWIDTH is the peak of the whole variant, ads included.
      bandwidth: Math.max(r.bandwidth, ...usedAds.map((a) => closestByBandwidth(a.renditions, r.bandwidth).bandwidth)),
      averageBandwidth: r.averageBandwidth,
      width: r.width,
      height: r.height,
      codecs: r.codecs,
    })),
  });
  return { text, breaks: plan.length };
}
