// Playback (/api/v1/resource): the master playlist of an episode with this viewer's ad plan, the stitched
// variant playlists, files beside the playlist, and media objects from R2.

import { createRoute, z } from "@hono/zod-openapi";
import { EpisodeName, FilmId, RouteName } from "../../schema/ids";
import { mediaUrl } from "../../schema/keys";
import type { Rendition } from "../../schema/jobs";
import {
  type AdInsertion,
  type MediaPlaylist,
  type UriStyle,
  assignAds,
  closestByBandwidth,
  commonTargetDuration,
  incompatibility,
  parseAdBreaks,
  planBreakTimes,
  serializeMaster,
  signPlan,
  stitch,
  verifyPlan,
} from "../hls";
import { resourceApp } from "../lib/openapi";
import { PER_VIEWER, SHORT, accessOf, cacheControlOf, impressionOf, mediaKeyFromPath } from "./media-policy";
import { MEDIA_TOKEN_TTL_SECONDS, expiryFrom, mediaQuery, refusal } from "./media-tokens";
import { PlaylistStore, StoredPlaylistError } from "./playlist-store";
import { adsByIdQuery, countImpression, episodeQuery, randomFilmAdsQuery, utcDay, validRenditions } from "./queries";
import { serveObject } from "./r2-object";
import { legacyMediaFromPath } from "./legacy-media";

const MPEGURL = "application/vnd.apple.mpegurl";
const Reason = z.object({ reason: z.string() });
const reasonResponse = (description: string) => ({ description, content: { "application/json": { schema: Reason } } });
const playlistResponse = (description: string) => ({ description, content: { [MPEGURL]: { schema: z.string() } } });
const objectResponse = (description: string) => ({ description, content: { "application/octet-stream": { schema: z.string().openapi({ format: "binary" }) } } });

const EpisodeParams = z.object({
  route: RouteName.openapi({ param: { name: "route", in: "path" }, example: "line1" }),
  id: FilmId.openapi({ param: { name: "id", in: "path" } }),
  episode: EpisodeName.openapi({ param: { name: "episode", in: "path" }, example: "1" }),
});
const VariantName = z.string().regex(/^[A-Za-z0-9_-]{1,32}\.m3u8$/, "a rendition name followed by .m3u8");
/** A file stored beside the playlist: one path segment, no traversal. */
const SideKey = z
  .string()
  .regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/, "1-128 letters, digits, '.', '-' or '_', not starting with '.'")
  .refine((s) => !s.includes(".."), "must not contain '..'");
const TokenQuery = z.object({ token: z.string().max(4096).optional().openapi({ description: "signed media token (MEDIA_SIGNING=on)" }) });

/** Absolute URL of this service's own routes. */
const apiBase = (publicBase: string) => `${publicBase.replace(/\/+$/, "")}/api/v1/resource`;
const mediaBase = (publicBase: string) => mediaUrl(publicBase, "");

const MAX_PLAN_TOKEN = 4096;

export const playback = resourceApp();

// ---- master playlist ---------------------------------------------------------------------------

playback.openapi(
  createRoute({
    method: "get",
    path: "/media_list/{route}/{id}/{episode}",
    tags: ["media"],
    summary: "Master playlist of a ready episode, with this viewer's ads planned into every variant URI",
    description:
      "Picks FILM ads (ready, unexpired, random, a different one per break while there are enough) for the breaks of AD_BREAKS, " +
      "signs the plan and puts it in each variant URI, so every variant the player loads carries the same ads at the same places. " +
      "Built from the episode's row alone (no R2 read). Players that loaded the old single playlist here (hls.js, Safari, ffmpeg) accept a master playlist.",
    request: { params: EpisodeParams },
    responses: {
      200: playlistResponse("master playlist"),
      400: reasonResponse("bad route, id or episode"),
      404: reasonResponse("no such episode, or not ready"),
    },
  }),
  async (c) => {
    const { route, id, episode } = c.req.valid("param");
    const config = parseAdBreaks(c.env.AD_BREAKS);
    if (!config.ok) console.error(`invalid AD_BREAKS, playing without ads: ${config.error}`);
    const breaks = config.ok ? config.breaks : [];
    const secret = c.env.SIGNING_SECRET || null;
    if (!secret && breaks.length) console.error("SIGNING_SECRET is not set: ad plans cannot be signed, playing without ads");
    const wantAds = secret ? Math.min(breaks.length, 20) : 0;

    const db = c.var.db;
    const [episodes, adRows] = wantAds
      ? await db.batch([episodeQuery(db, id, route, episode), randomFilmAdsQuery(db, wantAds, Date.now())])
      : [await episodeQuery(db, id, route, episode), []];
    const ep = episodes[0];
    const renditions = validRenditions(ep?.renditions);
    if (!ep || ep.status !== "ready" || !ep.hlsPrefix || renditions.length === 0) {
      return c.json({ reason: `episode ${route}/${episode} of film ${id} is not ready` }, 404);
    }

    const ads = adRows.map((a) => ({ id: a.id, renditions: validRenditions(a.renditions) })).filter((a) => a.renditions.length > 0);
    const plan = assignAds(
      ads.map((a) => a.id),
      planBreakTimes(breaks, ep.duration ?? 0),
    );
    const now = Math.floor(Date.now() / 1000);
    const query = secret ? `?plan=${await signPlan(secret, { scope: `${id}/${route}/${episode}`, breaks: plan, exp: expiryFrom(now, MEDIA_TOKEN_TTL_SECONDS) })}` : "";
    const usedAds = ads.filter((a) => plan.some(([adId]) => adId === a.id));
    const base = `${apiBase(c.env.PUBLIC_BASE_URL)}/media_list/${encodeURIComponent(route)}/${id}/${encodeURIComponent(episode)}/v/`;
    const text = serializeMaster({
      independentSegments: false,
      variants: renditions.map((r) => ({
        uri: `${base}${encodeURIComponent(r.name)}.m3u8${query}`,
        // BANDWIDTH is the peak of the whole variant, ads included.
        bandwidth: Math.max(r.bandwidth, ...usedAds.map((a) => closestByBandwidth(a.renditions, r.bandwidth).bandwidth)),
        averageBandwidth: r.averageBandwidth,
        width: r.width,
        height: r.height,
        codecs: r.codecs,
      })),
    });
    return c.body(text, 200, { "Content-Type": MPEGURL, "Cache-Control": PER_VIEWER, "X-Ad-Breaks": String(plan.length) });
  },
);

// ---- stitched variant playlist -------------------------------------------------------------------

playback.openapi(
  createRoute({
    method: "get",
    path: "/media_list/{route}/{id}/{episode}/v/{variant}",
    tags: ["media"],
    summary: "One rendition of the episode with the ads of the signed plan spliced in",
    description:
      "Ads at segment boundaries, EXT-X-DISCONTINUITY and EXT-X-CUE-OUT/CUE-IN around each, one EXT-X-TARGETDURATION for every variant of the plan, " +
      "absolute URIs (with ?token= when MEDIA_SIGNING=on). Costs one D1 batch; playlists come from an isolate cache (header X-R2-Reads).",
    request: {
      params: EpisodeParams.extend({ variant: VariantName.openapi({ param: { name: "variant", in: "path" }, example: "720p.m3u8" }) }),
      query: z.object({ plan: z.string().max(MAX_PLAN_TOKEN).optional().openapi({ description: "the signed ad plan from the master playlist" }) }),
    },
    responses: {
      200: playlistResponse("stitched media playlist"),
      400: reasonResponse("bad parameter, or no plan"),
      403: reasonResponse("ad plan forged, expired or for another episode"),
      404: reasonResponse("no such episode or rendition"),
      502: reasonResponse("the stored playlist is invalid"),
    },
  }),
  async (c) => {
    const { route, id, episode, variant } = c.req.valid("param");
    const { plan: token } = c.req.valid("query");
    const secret = c.env.SIGNING_SECRET || null;
    let breaks: Array<[string, number]> = [];
    if (secret) {
      // Without a plan a viewer could ask for the variant without ads.
      if (!token) return c.json({ reason: "query.plan: required (use the URIs of the master playlist)" }, 400);
      const check = await verifyPlan(secret, token, { scope: `${id}/${route}/${episode}` });
      if (!check.ok) return c.json({ reason: `plan: ${check.reason}` }, 403);
      breaks = check.plan.breaks;
    }

    const db = c.var.db;
    const adIds = [...new Set(breaks.map(([adId]) => adId))];
    const started = Date.now();
    const [episodes, adRows] = adIds.length
      ? await db.batch([episodeQuery(db, id, route, episode), adsByIdQuery(db, adIds)])
      : [await episodeQuery(db, id, route, episode), []];
    const d1Ms = Date.now() - started;
    const ep = episodes[0];
    const renditions = validRenditions(ep?.renditions);
    if (!ep || ep.status !== "ready" || !ep.hlsPrefix || renditions.length === 0) {
      return c.json({ reason: `episode ${route}/${episode} of film ${id} is not ready` }, 404);
    }
    const name = variant.slice(0, -".m3u8".length);
    const rendition = renditions.find((r) => r.name === name);
    if (!rendition) return c.json({ reason: `variant: episode has no rendition ${name}` }, 404);

    const store = new PlaylistStore(c.env.MEDIA, (p) => c.executionCtx.waitUntil(p));
    const r2Started = Date.now();
    const prefix = ep.hlsPrefix;
    // Every rendition, not just this one: the target duration must be the same in all of them.
    const loadedContents = await Promise.all(renditions.map((r) => store.get(prefix + r.playlist).then((pl) => ({ pl }), (error: unknown) => ({ pl: null, error }))));
    const contents = loadedContents.map((x) => x.pl);
    const mine = loadedContents[renditions.indexOf(rendition)]!;
    if (!mine.pl) {
      if ("error" in mine) {
        if (mine.error instanceof StoredPlaylistError) return c.json({ reason: `stored playlist is invalid: ${mine.error.message}` }, 502);
        throw mine.error;
      }
      return c.json({ reason: `variant: the playlist of rendition ${name} is missing` }, 404);
    }
    const content = mine.pl;
    for (const x of loadedContents) if ("error" in x && x !== mine) console.error(String(x.error));

    // Each ad: the rendition closest to each content rendition; usable only if it fits all of them.
    const usable = new Map<string, { hlsPrefix: string; chosen: Array<{ r: Rendition; pl: MediaPlaylist }> }>();
    await Promise.all(
      adRows.map(async (row) => {
        const adRenditions = validRenditions(row.renditions);
        if (row.type !== "FILM" || row.status !== "ready" || !row.hlsPrefix || adRenditions.length === 0) return;
        const hlsPrefix = row.hlsPrefix;
        const picks = renditions.map((cr) => closestByBandwidth(adRenditions, cr.bandwidth));
        const loaded = await Promise.all(picks.map((r) => store.get(hlsPrefix + r.playlist).catch(logAndNull)));
        const chosen: Array<{ r: Rendition; pl: MediaPlaylist }> = [];
        for (const [i, pl] of loaded.entries()) {
          if (!pl) return console.error(`ad ${row.id}: playlist ${picks[i]!.playlist} missing or invalid, skipped`);
          const content = contents[i];
          const why = content ? incompatibility(content, pl) : null;
          if (why) return console.error(`ad ${row.id} skipped: ${why}`);
          chosen.push({ r: picks[i]!, pl });
        }
        usable.set(row.id, { hlsPrefix, chosen });
      }),
    );
    const r2Ms = Date.now() - r2Started;

    const targetDuration = commonTargetDuration([
      ...contents.filter((p): p is MediaPlaylist => p !== null),
      ...[...usable.values()].flatMap((a) => a.chosen.map((x) => x.pl)),
    ]);
    const base = mediaBase(c.env.PUBLIC_BASE_URL);
    const styles = new Map<string, UriStyle>();
    const styleFor = async (p: string) => {
      let s = styles.get(p);
      if (!s) styles.set(p, (s = { base, query: await mediaQuery(c.env, p) }));
      return s;
    };
    const index = renditions.indexOf(rendition);
    const insertions: AdInsertion[] = [];
    for (const [adId, at] of breaks) {
      const ad = usable.get(adId);
      if (ad) insertions.push({ id: adId, at, playlist: ad.chosen[index]!.pl, style: await styleFor(ad.hlsPrefix) });
    }
    const result = stitch({ content, contentStyle: await styleFor(prefix), ads: insertions, targetDuration });
    for (const s of result.skipped) console.warn(`ad ${s.id} at ${s.at}s not placed in ${id}/${route}/${episode}/${name}: ${s.reason}`);

    return c.body(result.text, 200, {
      "Content-Type": MPEGURL,
      "Cache-Control": PER_VIEWER,
      "X-Ad-Breaks": String(result.placed.length),
      "X-D1-Batches": "1",
      "X-R2-Reads": String(store.r2),
      "X-Playlist-Sources": store.describe(),
      "Server-Timing": `d1;dur=${d1Ms};desc="1 batch", r2;dur=${r2Ms};desc="${store.r2} reads"`,
    });
  },
);

function logAndNull(e: unknown): null {
  console.error(String(e));
  return null;
}

// ---- a file beside the playlist ------------------------------------------------------------------

playback.openapi(
  createRoute({
    method: "get",
    path: "/media_list/{route}/{id}/{episode}/{key}",
    tags: ["media"],
    summary: "A file stored beside the episode's playlist (e.g. an HLS key), from the episode's current output",
    request: {
      params: EpisodeParams.extend({ key: SideKey.openapi({ param: { name: "key", in: "path" }, example: "master.m3u8" }) }),
      query: TokenQuery,
    },
    responses: {
      200: objectResponse("the object"),
      206: objectResponse("a byte range of it"),
      304: { description: "not modified" },
      400: reasonResponse("bad parameter"),
      403: reasonResponse("MEDIA_SIGNING is on and the token is missing, expired or out of scope"),
      404: reasonResponse("no such episode or file"),
      416: reasonResponse("range not satisfiable"),
    },
  }),
  async (c) => {
    const { route, id, episode, key } = c.req.valid("param");
    const ep = (await episodeQuery(c.var.db, id, route, episode))[0];
    if (!ep || ep.status !== "ready" || !ep.hlsPrefix) return c.json({ reason: `episode ${route}/${episode} of film ${id} is not ready` }, 404);
    const objectKey = ep.hlsPrefix + key;
    const refused = await refusal(c.env, objectKey, c.req.valid("query").token);
    if (refused) return c.json({ reason: refused }, 403);
    // The name is stable but the episode's prefix moves with each new transcode: cache briefly.
    return (await serveObject(c.env.MEDIA, objectKey, c.req.raw, SHORT)).response;
  },
);

// ---- media objects -------------------------------------------------------------------------------

playback.openapi(
  createRoute({
    method: "get",
    // `{file{.+}}` becomes Hono's `:file{.+}`: the rest of the path, slashes included.
    path: "/media/{bucket}/{file{.+}}",
    tags: ["media"],
    summary: "An object from R2 (poster, ad image, HLS segment or playlist); HEAD, one Range, conditional requests",
    description:
      "Buckets: films, ads. Objects under a job's output prefix (…/hls/{jobId}/…) and versioned posters are immutable " +
      "(Cache-Control: public, max-age=31536000, immutable). With MEDIA_SIGNING=on everything but posters and image ads needs ?token=.",
    request: {
      params: z.object({
        bucket: z.string().openapi({ param: { name: "bucket", in: "path" }, example: "films" }),
        file: z.string().openapi({ param: { name: "file", in: "path" }, example: "{filmId}/poster/{version}.jpg" }),
      }),
      query: TokenQuery,
    },
    responses: {
      200: objectResponse("the object"),
      206: objectResponse("a byte range of it"),
      304: { description: "not modified" },
      400: reasonResponse("bad bucket or key (traversal, encoded separators)"),
      403: reasonResponse("token missing, expired or out of scope; or an upload source"),
      404: reasonResponse("no such object"),
      412: reasonResponse("If-Match / If-Unmodified-Since failed"),
      416: reasonResponse("range not satisfiable"),
    },
  }),
  async (c) => {
    const path = new URL(c.req.url).pathname;
    const legacy = await legacyMediaFromPath(c, path.slice(path.indexOf("/media/") + "/media/".length));
    if (legacy) return legacy;
    const checked = mediaKeyFromPath(path.slice(path.indexOf("/media/") + "/media/".length));
    if (!checked.ok) return c.json({ reason: checked.reason }, 400);
    const key = checked.key;
    const access = accessOf(key);
    if (access === "private") return c.json({ reason: "file: upload sources are not served" }, 403);
    if (access === "signed") {
      const refused = await refusal(c.env, key, c.req.valid("query").token);
      if (refused) return c.json({ reason: refused }, 403);
    }
    const adId = impressionOf(key);
    // An ad's first segment must reach us each time it plays to count: revalidated, never served from cache blindly.
    const served = await serveObject(c.env.MEDIA, key, c.req.raw, adId ? "public, no-cache" : cacheControlOf(key));
    const status = served.response.status;
    if (adId && c.req.method === "GET" && (status === 304 || ((status === 200 || status === 206) && served.start === 0))) {
      c.executionCtx.waitUntil(countImpression(c.var.db, adId, utcDay()).catch((e: unknown) => console.error(`impression of ad ${adId} not counted: ${String(e)}`)));
    }
    return served.response;
  },
);
