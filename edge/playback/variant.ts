// One rendition of an episode with the ads of the viewer's signed plan spliced in. Rows come through the
// answer cache (rows.ts: no D1 query once warm); playlists through the PlaylistStore (isolate LRU, Cache
// API, then R2).
import { type Rendition, containerOf, validRenditions } from "../../schema/jobs";
import { mediaUrl } from "../../schema/keys";
import { config } from "../config";
import type { Env } from "../env";
import { beaconQueries } from "../ads/beacons";
import { type AdInsertion, type AdPlan, type MediaPlaylist, type UriStyle, closestByBandwidth, commonTargetDuration, incompatibility, stitch, verifyPlan } from "../hls";
import { type EpisodeRef, type Playable, notReady, planScope, playable } from "./episode";
import { planIdOf, signImpression } from "./impression-token";
import { mediaQuery } from "./media-tokens";
import { PlaylistStore, StoredPlaylistError } from "./playlist-store";
import type { PlaybackRows } from "./rows";

export type Variant =
  | { ok: true; text: string; placed: number; cost: Record<string, string> }
  | { ok: false; status: 400 | 403 | 404 | 502; reason: string };

export type Refusal = Extract<Variant, { ok: false }>;
const refusal = (status: Refusal["status"], reason: string): Refusal => ({ ok: false, status, reason });

/** An ad that fits every content rendition: its closest rendition to each, parsed. */
export type UsableAd = { hlsPrefix: string; chosen: Array<{ r: Rendition; pl: MediaPlaylist }> };

/** What every playlist of one viewer's plan is stitched from: the plan, the episode, its renditions' playlists, the ads that fit. */
export interface StitchSources {
  ep: Playable;
  breaks: Array<[string, number]>;
  impression: { plan: string; exp: number } | null;
  decision: AdPlan["decision"];
  store: PlaylistStore;
  /** Per rendition of the episode: its parsed playlist, null when missing, or the error reading it. */
  loaded: Array<{ pl: MediaPlaylist | null; error?: unknown }>;
  /** The plan's ads that fit every content rendition, by id. */
  usable: Map<string, UsableAd>;
  /** The target duration every variant of the plan shares. */
  targetDuration: number;
  d1Ms: number;
  r2Ms: number;
}

/** The plan checked (when there is a secret) and everything it names loaded; a refusal otherwise. */
export async function stitchSources(env: Env, rows: PlaybackRows, waitUntil: (p: Promise<unknown>) => void, ref: EpisodeRef & { plan: string | undefined }): Promise<StitchSources | Refusal> {
  const { signingSecret: secret } = config(env);
  let breaks: Array<[string, number]> = [];
  let impression: { plan: string; exp: number } | null = null;
  let decision: AdPlan["decision"];
  if (secret) {
    // Without a plan a viewer could ask for the variant without ads.
    if (!ref.plan) return refusal(400, "query.plan: required (use the URIs of the master playlist)");
    const check = await verifyPlan(secret, ref.plan, { scope: planScope(ref) });
    if (!check.ok) return refusal(403, `plan: ${check.reason}`);
    breaks = check.plan.breaks;
    const plan = planIdOf(ref.plan);
    if (plan) impression = { plan, exp: check.plan.exp };
    decision = check.plan.decision;
  }

  const adIds = [...new Set(breaks.map(([adId]) => adId))];
  const started = Date.now();
  const [episodeRow, adRows] = await Promise.all([rows.episode(ref), rows.adsById(adIds)]);
  const d1Ms = Date.now() - started;
  const ep = playable(episodeRow ?? undefined);
  if (!ep) return refusal(404, notReady(ref));
  const { renditions, hlsPrefix: prefix } = ep;

  const store = new PlaylistStore(env.MEDIA, waitUntil);
  const r2Started = Date.now();
  // Every rendition, not just the one asked for: the target duration must be the same in all of them.
  const loaded = await Promise.all(renditions.map((r) => store.get(prefix + r.playlist).then((pl) => ({ pl }), (error: unknown) => ({ pl: null, error }))));
  const contents = loaded.map((x) => x.pl);
  const usable = new Map<string, UsableAd>();
  await Promise.all(
    adRows.map(async (row) => {
      const ad = await usableAd(store, row, renditions, contents);
      if (ad) usable.set(row.id, ad);
    }),
  );
  const r2Ms = Date.now() - r2Started;
  const targetDuration = commonTargetDuration([
    ...contents.filter((p): p is MediaPlaylist => p !== null),
    ...[...usable.values()].flatMap((a) => a.chosen.map((x) => x.pl)),
  ]);
  return { ep, breaks, impression, decision, store, loaded, usable, targetDuration, d1Ms, r2Ms };
}

/** Rendition `index`'s content playlist, or the refusal that its absence or corruption is. */
export function contentOf(src: StitchSources, index: number, rendition: string): MediaPlaylist | Refusal {
  const mine = src.loaded[index]!;
  if (!mine.pl) {
    if ("error" in mine) {
      if (mine.error instanceof StoredPlaylistError) return refusal(502, `stored playlist is invalid: ${mine.error.message}`);
      throw mine.error;
    }
    return refusal(404, `variant: the playlist of rendition ${rendition} is missing`);
  }
  for (const x of src.loaded) if ("error" in x && x !== mine) console.error(String(x.error));
  return mine.pl;
}

export const isRefusal = <T>(x: T | Refusal): x is Refusal => typeof x === "object" && x !== null && "ok" in x && (x as Refusal).ok === false;

export async function stitchedVariant(
  env: Env,
  rows: PlaybackRows,
  waitUntil: (p: Promise<unknown>) => void,
  ref: EpisodeRef & { rendition: string; plan: string | undefined },
): Promise<Variant> {
  const { signingSecret: secret, publicBaseUrl } = config(env);
  const src = await stitchSources(env, rows, waitUntil, ref);
  if (isRefusal(src)) return src;
  const { ep, breaks, impression, decision, store, usable, targetDuration, d1Ms, r2Ms } = src;
  const prefix = ep.hlsPrefix;
  const index = ep.renditions.findIndex((r) => r.name === ref.rendition);
  if (index < 0) return refusal(404, `variant: episode has no rendition ${ref.rendition}`);
  const content = contentOf(src, index, ref.rendition);
  if (isRefusal(content)) return content;

  const base = mediaUrl(publicBaseUrl, "");
  const styles = new Map<string, UriStyle>();
  const styleFor = async (p: string) => {
    let s = styles.get(p);
    if (!s) styles.set(p, (s = { base, query: await mediaQuery(env, p) }));
    return s;
  };
  const insertions: AdInsertion[] = [];
  const tracked = new Set(decision?.entries);
  for (const [brk, [adId, at]] of breaks.entries()) {
    const ad = usable.get(adId);
    if (!ad) continue;
    const pl = ad.chosen[index]!.pl;
    // Every ad's first segment carries its impression token (counted in media.ts); the ad server's ads
    // also carry their beacons (edge/ads/beacons.ts).
    const imp = secret && impression ? `imp=${await signImpression(secret, { ...impression, brk }, adId)}` : "";
    const beacons = decision && secret && tracked.has(brk) ? await beaconQueries(secret, decision.id, brk, adId, pl.segments.map((s) => s.duration)) : undefined;
    const segmentQuery = (i: number) => [i === 0 ? imp : "", beacons?.(i) ?? ""].filter(Boolean).join("&");
    insertions.push({ id: adId, at, playlist: pl, style: await styleFor(ad.hlsPrefix), segmentQuery });
  }
  const result = stitch({ content, contentStyle: await styleFor(prefix), ads: insertions, targetDuration });
  for (const s of result.skipped) console.warn(`ad ${s.id} at ${s.at}s not placed in ${planScope(ref)}/${ref.rendition}: ${s.reason}`);

  return {
    ok: true,
    text: result.text,
    placed: result.placed.length,
    cost: costHeaders(rows, store, d1Ms, r2Ms),
  };
}

/** What a stitched playlist cost: D1 round trips, R2 reads, where its playlists came from. */
export function costHeaders(rows: PlaybackRows, store: PlaylistStore, d1Ms: number, r2Ms: number): Record<string, string> {
  return {
    "X-D1-Batches": String(rows.queries),
    "X-R2-Reads": String(store.r2),
    "X-Playlist-Sources": store.describe(),
    "Server-Timing": `d1;dur=${d1Ms};desc="${rows.queries} queries", r2;dur=${r2Ms};desc="${store.r2} reads"`,
  };
}

/** The ad's rendition closest to each content rendition; null (logged) unless it fits all of them. */
async function usableAd(
  store: PlaylistStore,
  row: { id: string; type: string; status: string; hlsPrefix: string | null; renditions: unknown },
  renditions: Rendition[],
  contents: Array<MediaPlaylist | null>,
): Promise<UsableAd | null> {
  const adRenditions = validRenditions(row.renditions);
  if (row.type !== "FILM" || row.status !== "ready" || !row.hlsPrefix || adRenditions.length === 0) return null;
  const hlsPrefix = row.hlsPrefix;
  // The ad's renditions in each content rendition's container (an ad is made in both).
  const sameContainer = (cr: Rendition) => adRenditions.filter((r) => containerOf(r) === containerOf(cr));
  if (renditions.some((cr) => sameContainer(cr).length === 0)) return skipped(`ad ${row.id} skipped: no rendition in the content's container`);
  const picks = renditions.map((cr) => closestByBandwidth(sameContainer(cr), cr.bandwidth));
  const loaded = await Promise.all(picks.map((r) => store.get(hlsPrefix + r.playlist).catch(logAndNull)));
  const chosen: UsableAd["chosen"] = [];
  for (const [i, pl] of loaded.entries()) {
    if (!pl) return skipped(`ad ${row.id}: playlist ${picks[i]!.playlist} missing or invalid, skipped`);
    const content = contents[i];
    const why = content ? incompatibility(content, pl) : null;
    if (why) return skipped(`ad ${row.id} skipped: ${why}`);
    chosen.push({ r: picks[i]!, pl });
  }
  return { hlsPrefix, chosen };
}

function skipped(why: string): null {
  console.error(why);
  return null;
}

function logAndNull(e: unknown): null {
  console.error(String(e));
  return null;
}
