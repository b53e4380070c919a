// The master playlist of an episode for one viewer: FILM ads picked for the breaks of AD_BREAKS, the
// plan signed into every variant URI, so every variant the player loads carries the same ads at the
// same places. Built from the episode's row and the FILM ads (rows.ts: cached, so a warm request makes
// no D1 query), no R2 read.
import { validRenditions } from "../../schema/jobs";
import { newNonce } from "../../schema/signing";
import { config } from "../config";
import type { Env } from "../env";
import { MAX_BREAKS, assignAds, closestByBandwidth, planBreakTimes, serializeMaster, signPlan } from "../hls";
import { type EpisodeRef, planScope, playable } from "./episode";
import { MEDIA_TOKEN_TTL_SECONDS, expiryFrom } from "./media-tokens";
import { type PlaybackRows, pickRandom } from "./rows";

export interface Master {
  text: string;
  /** Ad breaks planned (the X-Ad-Breaks header). */
  breaks: number;
}

/** null when the episode cannot be played. */
export async function masterPlaylist(env: Env, rows: PlaybackRows, ref: EpisodeRef): Promise<Master | null> {
  const { adBreaks, signingSecret: secret, publicBaseUrl } = config(env);
  // Unsigned plans could be rewritten by the viewer: without the secret there are no ads.
  const wantAds = secret ? Math.min(adBreaks.length, MAX_BREAKS) : 0;
  const ep = playable((await rows.episode(ref)) ?? undefined);
  if (!ep) return null;
  const adRows = wantAds ? pickRandom(await rows.filmAds(Date.now()), wantAds) : [];

  const ads = adRows.map((a) => ({ id: a.id, renditions: validRenditions(a.renditions) })).filter((a) => a.renditions.length > 0);
  const plan = assignAds(
    ads.map((a) => a.id),
    planBreakTimes(adBreaks, ep.duration),
  );
  const now = Math.floor(Date.now() / 1000);
  const query = secret ? `?plan=${await signPlan(secret, { scope: planScope(ref), breaks: plan, exp: expiryFrom(now, MEDIA_TOKEN_TTL_SECONDS), nonce: newNonce() })}` : "";
  const usedAds = ads.filter((a) => plan.some(([adId]) => adId === a.id));
  const base = `${publicBaseUrl}/api/v1/resource/media_list/${encodeURIComponent(ref.route)}/${ref.id}/${encodeURIComponent(ref.episode)}/v/`;
  const text = serializeMaster({
    independentSegments: false,
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
