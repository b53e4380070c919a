// The master playlist of an episode for one viewer: FILM ads picked for the breaks of AD_BREAKS, the
// plan signed into every variant URI, so every variant the player loads carries the same ads at the
// same places. Built from the episode's row and the FILM ads (rows.ts: cached, so a warm request makes
// no D1 query), no R2 read. With AD_SERVER_URL, the ad server's ads go first (ad-server.ts) and every
// break it leaves empty falls back to the site's own ads.
import { containerOf, validRenditions } from "../../schema/jobs";
import { mediaUrl } from "../../schema/keys";
import { newNonce } from "../../schema/signing";
import { config } from "../config";
import type { Env } from "../env";
import type { StoredEntry } from "../ads";
import { type AdServerContext, type ServedAd, adServerPlan, storeDecision } from "./ad-server";
import { MAX_BREAKS, POST_ROLL, assignAds, closestByBandwidth, planBreakTimes, serializeMaster, signPlan } from "../hls";
import { type EpisodeRef, planScope, playable } from "./episode";
import { expiryFrom, mediaQuery } from "./media-tokens";
import { type PlaybackRows, pickRandom } from "./rows";
import { subtitlePlaylistUrl } from "./captions";

/** The one group of subtitle renditions every variant names. */
export const SUBTITLES_GROUP = "subs";

/** The EXT-X-SESSION-DATA that carries the URL of an episode's storyboard (WebVTT with #xywh sprite tiles). */
export const STORYBOARD_DATA_ID = "com.edge-stream.storyboard";

export interface Master {
  text: string;
  /** Ads planned (the X-Ad-Breaks header). */
  breaks: number;
  /** Where each break's ads come from, in time order (the X-Ad-Sources header; the player page shows it). */
  sources: Array<"site" | "ad-server">;
}

/** null when the episode cannot be played. `adServer`: where the ad server's decision may read and write. */
export async function masterPlaylist(env: Env, rows: PlaybackRows, ref: EpisodeRef, adServer?: AdServerContext): Promise<Master | null> {
  const { adBreaks, signingSecret: secret, publicBaseUrl } = config(env);
  const ep = playable((await rows.episode(ref)) ?? undefined);
  if (!ep) return null;
  const times = planBreakTimes(adBreaks, ep.duration);
  // Unsigned plans could be rewritten by the viewer: without the secret there are no ads.
  const server = secret && adServer ? await adServerPlan(env, adServer, rows, ref, ep, times) : null;
  const houseTimes = (server?.slots ?? times).filter((t) => !server?.served.has(t)).slice(0, MAX_BREAKS);
  const wantAds = secret ? houseTimes.length : 0;
  const adRows = wantAds ? pickRandom(await rows.filmAds(Date.now()), wantAds) : [];

  // Only ads with renditions in the content's container: a break is never planned for an ad the
  // stitcher would have to drop (a playlist cannot switch between MPEG-TS and fMP4).
  const container = containerOf(ep.renditions[0]!);
  const ads = adRows
    .map((a) => ({ id: a.id, renditions: validRenditions(a.renditions).filter((r) => containerOf(r) === container) }))
    .filter((a) => a.renditions.length > 0);
  const { plan, decided } = mergePlan(
    assignAds(
      ads.map((a) => a.id),
      houseTimes,
    ),
    server?.served,
  );
  for (const list of server?.served.values() ?? []) ads.push(...list.map((a) => ({ id: a.adId, renditions: a.renditions })));
  const tracked = decided.flatMap((d, i) => (d ? [i] : []));
  const decision = tracked.length && adServer ? { id: await storeDecision(adServer.db, planScope(ref), decided), entries: tracked } : undefined;
  const now = Math.floor(Date.now() / 1000);
  const query = secret ? `?plan=${await signPlan(secret, { scope: planScope(ref), breaks: plan, exp: expiryFrom(now), nonce: newNonce(), decision })}` : "";
  const usedAds = ads.filter((a) => plan.some(([adId]) => adId === a.id));
  // Seek previews: the storyboard's WebVTT track (its sprites are beside it; the token covers the prefix).
  const storyboard = ep.renditions.find((r) => r.storyboard)?.storyboard;
  const sessionData = storyboard
    ? [{ id: STORYBOARD_DATA_ID, value: mediaUrl(publicBaseUrl, ep.hlsPrefix + storyboard) + (await mediaQuery(env, ep.hlsPrefix)) }]
    : undefined;
  const base = `${publicBaseUrl}/api/v1/resource/media_list/${encodeURIComponent(ref.route)}/${ref.id}/${encodeURIComponent(ref.episode)}/v/`;
  // Captions: one subtitle playlist per language, stitched with the same plan, so cues keep the timeline.
  const names = new Set<string>();
  const media = ep.captions.map((c) => {
    // NAME must be unique in its group (RFC 8216 §4.3.4.1.1): two labels alike are told apart by their tags.
    const name = names.has(c.label) ? `${c.label} (${c.lang})` : c.label;
    names.add(name);
    return { type: "SUBTITLES" as const, groupId: SUBTITLES_GROUP, name, language: c.lang, default: false, autoselect: true, uri: subtitlePlaylistUrl(publicBaseUrl, ref, c.lang, query) };
  });
  const text = serializeMaster({
    independentSegments: false,
    sessionData,
    media,
    variants: ep.renditions.map((r) => ({
      ...(media.length ? { subtitles: SUBTITLES_GROUP } : {}),
      uri: `${base}${encodeURIComponent(r.name)}.m3u8${query}`,
      // BANDWIDTH is the peak of the whole variant, ads included.
      bandwidth: Math.max(r.bandwidth, ...usedAds.map((a) => closestByBandwidth(a.renditions, r.bandwidth).bandwidth)),
      averageBandwidth: r.averageBandwidth,
      width: r.width,
      height: r.height,
      codecs: r.codecs,
    })),
  });
  return { text, breaks: plan.length, sources: breakSources(plan, decided) };
}

/** Per break (a pod is one break), in time order: whether its ads come from the ad server or the site. */
function breakSources(plan: Array<[string, number]>, decided: Array<StoredEntry | null>): Array<"site" | "ad-server"> {
  const out: Array<"site" | "ad-server"> = [];
  plan.forEach(([, at], i) => {
    const source = decided[i] ? "ad-server" : "site";
    if (i > 0 && plan[i - 1]![1] === at) {
      if (source === "ad-server") out[out.length - 1] = source;
    } else out.push(source);
  });
  return out;
}

/** The site's picks and the ad server's pods in one plan, in time order (post-roll last), pods in order. */
function mergePlan(house: Array<[string, number]>, served: Map<number, ServedAd[]> | undefined) {
  const all: Array<{ entry: [string, number]; stored: StoredEntry | null }> = house.map((entry) => ({ entry, stored: null }));
  for (const [at, list] of served ?? []) for (const a of list) all.push({ entry: [a.adId, at], stored: a.stored });
  const order = (t: number) => (t === POST_ROLL ? Infinity : t);
  all.sort((a, b) => order(a.entry[1]) - order(b.entry[1]));
  return { plan: all.map((x) => x.entry), decided: all.map((x) => x.stored) };
}
