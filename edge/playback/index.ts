// Playback (/api/v1/resource): the routes and their documentation. The work is in named modules: the
// master playlist with this viewer's ad plan (master.ts), the stitched variant playlists (variant.ts),
// media objects from R2 (media.ts), the subtitle playlists and caption segments (captions.ts); a file
// beside the playlist is served here.

import { createRoute, z } from "@hono/zod-openapi";
import { EpisodeName, FilmId, RouteName } from "../../schema/ids";
import { captionKey } from "../../schema/keys";
import { resourceApp } from "../lib/openapi";
import { reasonDoc, refuse } from "../lib/responses";
import { notReady } from "./episode";
import { scopeOf } from "../lib/answer-cache";
import { masterPlaylist } from "./master";
import { PlaybackRows } from "./rows";
import { serveMedia } from "./media";
import { IMMUTABLE, PER_VIEWER, SHORT, unstitchedRefusal } from "./media-policy";
import { refusal } from "./media-tokens";
import { episodeQuery } from "./queries";
import { serveObject } from "./r2-object";
import { stitchedVariant } from "./variant";
import { legacyMediaFromPath } from "./legacy-media";
import { EMPTY_CAPTIONS_PATH, EMPTY_VTT, captionSegment, subtitles } from "./captions";
import { toCanonicalLang } from "../captions";

const MPEGURL = "application/vnd.apple.mpegurl";
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
const MediaQuery = TokenQuery.extend({
  imp: z.string().max(128).optional().openapi({ description: "impression token, on an ad's first segment in a stitched playlist: the fetch that counts the impression" }),
});

const MAX_PLAN_TOKEN = 4096;

const VTT = "text/vtt; charset=utf-8";
const vttResponse = (description: string) => ({ description, content: { "text/vtt": { schema: z.string() } } });
/** A BCP 47 tag, canonicalised (`pt-br` → `pt-BR`): the one spelling keys and playlists use. */
const Lang = z.string().transform(toCanonicalLang);
const SubtitleName = z
  .string()
  .regex(/^[A-Za-z0-9-]{1,35}\.m3u8$/, "a language tag followed by .m3u8")
  .transform((v, ctx) => toCanonicalLang(v.slice(0, -".m3u8".length), ctx));
const CaptionFile = z.string().regex(/^[A-Za-z0-9-]{1,64}\.vtt$/, "a caption version followed by .vtt");
/** Seconds of content time with at most millisecond precision, as the subtitle playlist writes them. */
const Seconds = z
  .string()
  .regex(/^\d{1,6}(?:\.\d{1,3})?$/, "seconds, e.g. 12.5 (at most 3 decimals)")
  .transform((v) => Math.round(Number(v) * 1000));

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
      400: reasonDoc("bad route, id or episode"),
      404: reasonDoc("no such episode, or not ready"),
    },
  }),
  async (c) => {
    const ref = c.req.valid("param");
    const master = await masterPlaylist(c.env, new PlaybackRows(scopeOf(c), c.var.db), ref, { db: c.var.db, waitUntil: (p) => c.executionCtx.waitUntil(p) });
    if (!master) return refuse(c, 404, notReady(ref));
    return c.body(master.text, 200, { "Content-Type": MPEGURL, "Cache-Control": PER_VIEWER, "X-Ad-Breaks": String(master.breaks), "X-Ad-Sources": master.sources.join(",") });
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
      "absolute URIs (with ?token= when MEDIA_SIGNING=on). The episode's and the ads' rows come from the answer cache (no D1 query once warm, header X-D1-Batches); playlists from an isolate cache (header X-R2-Reads).",
    request: {
      params: EpisodeParams.extend({ variant: VariantName.openapi({ param: { name: "variant", in: "path" }, example: "720p.m3u8" }) }),
      query: z.object({ plan: z.string().max(MAX_PLAN_TOKEN).optional().openapi({ description: "the signed ad plan from the master playlist" }) }),
    },
    responses: {
      200: playlistResponse("stitched media playlist"),
      400: reasonDoc("bad parameter, or no plan"),
      403: reasonDoc("ad plan forged, expired or for another episode"),
      404: reasonDoc("no such episode or rendition"),
      502: reasonDoc("the stored playlist is invalid"),
    },
  }),
  async (c) => {
    const { variant, ...ref } = c.req.valid("param");
    const rendition = variant.slice(0, -".m3u8".length);
    const r = await stitchedVariant(c.env, new PlaybackRows(scopeOf(c), c.var.db), (p) => c.executionCtx.waitUntil(p), { ...ref, rendition, plan: c.req.valid("query").plan });
    if (!r.ok) return refuse(c, r.status, r.reason);
    return c.body(r.text, 200, { "Content-Type": MPEGURL, "Cache-Control": PER_VIEWER, "X-Ad-Breaks": String(r.placed), ...r.cost });
  },
);

// ---- captions ------------------------------------------------------------------------------------

playback.openapi(
  createRoute({
    method: "get",
    path: "/media_list/{route}/{id}/{episode}/s/{sub}",
    tags: ["media"],
    summary: "The subtitle playlist of one language, stitched with the signed plan like the video variants",
    description:
      "The same segment boundaries, EXT-X-DISCONTINUITY and CUE-OUT/IN as the video variants of the plan (the content's first rendition): " +
      "content segments name caption segments of their content-time window, ad segments an empty WebVTT. No EXT-X-MAP or EXT-X-KEY.",
    request: {
      params: EpisodeParams.extend({ sub: SubtitleName.openapi({ param: { name: "sub", in: "path" }, example: "en.m3u8" }) }),
      query: z.object({ plan: z.string().max(MAX_PLAN_TOKEN).optional().openapi({ description: "the signed ad plan from the master playlist" }) }),
    },
    responses: {
      200: playlistResponse("subtitle media playlist"),
      400: reasonDoc("bad parameter, or no plan"),
      403: reasonDoc("ad plan forged, expired or for another episode"),
      404: reasonDoc("no such episode, or no captions in that language"),
      502: reasonDoc("the stored playlist is invalid"),
    },
  }),
  async (c) => {
    const { sub: lang, ...ref } = c.req.valid("param");
    const r = await subtitles(c.env, new PlaybackRows(scopeOf(c), c.var.db), (p) => c.executionCtx.waitUntil(p), { ...ref, lang, plan: c.req.valid("query").plan });
    if (!r.ok) return refuse(c, r.status, r.reason);
    return c.body(r.text, 200, { "Content-Type": MPEGURL, "Cache-Control": PER_VIEWER, ...r.cost });
  },
);

playback.openapi(
  createRoute({
    method: "get",
    path: "/media_list/{route}/{id}/{episode}/c/{lang}/{file}",
    tags: ["media"],
    summary: "A caption segment: the cues overlapping [from, to) of content time, with X-TIMESTAMP-MAP",
    description:
      "WEBVTT, X-TIMESTAMP-MAP=MPEGTS:<the content's first timestamp at 90 kHz>,LOCAL:00:00:00.000, then every cue that overlaps the window at its content time. " +
      "`ts` (written by the subtitle playlist) is that MPEGTS; without it the edge reads it from the episode's current video. Immutable with `ts` (the version is in the path). " +
      "With MEDIA_SIGNING=on a viewer token over the episode's captions.",
    request: {
      params: EpisodeParams.extend({
        lang: Lang.openapi({ param: { name: "lang", in: "path" }, example: "en" }),
        file: CaptionFile.openapi({ param: { name: "file", in: "path" }, example: "{version}.vtt" }),
      }),
      query: TokenQuery.extend({
        from: Seconds.openapi({ description: "window start, seconds of content time" }),
        to: Seconds.openapi({ description: "window end (exclusive), seconds of content time" }),
        clip: z
          .enum(["start", "end", "both"])
          .optional()
          .openapi({ description: "where an ad break meets the window (written by the subtitle playlist): cues are cut there, so a cue across a break does not show over the ad" }),
        ts: z
          .string()
          .regex(/^\d{1,10}$/, "a 33-bit timestamp in decimal")
          .refine((v) => Number(v) < 2 ** 33, "below 2^33")
          .transform(Number)
          .optional()
          .openapi({ description: "X-TIMESTAMP-MAP's MPEGTS (90 kHz)" }),
      }),
    },
    responses: {
      200: vttResponse("caption segment"),
      400: reasonDoc("bad parameter (from must be before to)"),
      403: reasonDoc("MEDIA_SIGNING is on and the token is missing, expired or out of scope"),
      404: reasonDoc("no such captions (or, without ts, no ready episode)"),
    },
  }),
  async (c) => {
    const { lang, file, ...ref } = c.req.valid("param");
    const { from, to, clip, ts, token } = c.req.valid("query");
    if (to <= from) return refuse(c, 400, "query.to: must be after from");
    const version = file.slice(0, -".vtt".length);
    const refused = await refusal(c.env, captionKey(ref.id, ref.route, ref.episode, lang, version), token);
    if (refused) return refuse(c, 403, refused);
    const r = await captionSegment(c.env, new PlaybackRows(scopeOf(c), c.var.db), (p) => c.executionCtx.waitUntil(p), { ...ref, lang, version, from, to, clip, ts });
    if (!r.ok) return refuse(c, r.status, r.reason);
    return c.body(r.text, 200, { "Content-Type": VTT, "Cache-Control": r.immutable ? IMMUTABLE : SHORT });
  },
);

playback.openapi(
  createRoute({
    method: "get",
    path: EMPTY_CAPTIONS_PATH.slice("/api/v1/resource".length),
    tags: ["media"],
    summary: "An empty WebVTT: the caption segment of every ad segment",
    responses: { 200: vttResponse("WEBVTT and no cues") },
  }),
  (c) => c.body(EMPTY_VTT, 200, { "Content-Type": VTT, "Cache-Control": IMMUTABLE }),
);

// ---- a file beside the playlist ------------------------------------------------------------------

playback.openapi(
  createRoute({
    method: "get",
    path: "/media_list/{route}/{id}/{episode}/{key}",
    tags: ["media"],
    summary: "A file stored beside the episode's playlist (e.g. an HLS key), from the episode's current output; never a playlist (403)",
    request: {
      params: EpisodeParams.extend({ key: SideKey.openapi({ param: { name: "key", in: "path" }, example: "key.bin" }) }),
      query: TokenQuery,
    },
    responses: {
      200: objectResponse("the object"),
      206: objectResponse("a byte range of it"),
      304: { description: "not modified" },
      400: reasonDoc("bad parameter"),
      403: reasonDoc("a playlist (served only stitched), or MEDIA_SIGNING is on and the token is missing, expired or out of scope"),
      404: reasonDoc("no such episode or file"),
      416: reasonDoc("range not satisfiable"),
    },
  }),
  async (c) => {
    const { key, ...ref } = c.req.valid("param");
    // Before the episode is looked up: no playlist is ever served here, ready episode or not.
    const unstitched = unstitchedRefusal(key);
    if (unstitched) return refuse(c, 403, unstitched);
    const ep = (await episodeQuery(c.var.db, ref.id, ref.route, ref.episode))[0];
    if (!ep || ep.status !== "ready" || !ep.hlsPrefix) return refuse(c, 404, notReady(ref));
    const objectKey = ep.hlsPrefix + key;
    const refused = await refusal(c.env, objectKey, c.req.valid("query").token);
    if (refused) return refuse(c, 403, refused);
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
    summary: "An object from R2 (poster, ad image, HLS segment, key or init section; never a playlist); HEAD, one Range, conditional requests",
    description:
      "Buckets: films, ads. Objects under a job's output prefix (…/hls/{jobId}/…) and versioned posters are immutable " +
      "(Cache-Control: public, max-age=31536000, immutable). With MEDIA_SIGNING=on everything but posters and image ads needs ?token=.",
    request: {
      params: z.object({
        bucket: z.string().openapi({ param: { name: "bucket", in: "path" }, example: "films" }),
        file: z.string().openapi({ param: { name: "file", in: "path" }, example: "{filmId}/poster/{version}.jpg" }),
      }),
      query: MediaQuery,
    },
    responses: {
      200: objectResponse("the object"),
      206: objectResponse("a byte range of it"),
      304: { description: "not modified" },
      400: reasonDoc("bad bucket or key (traversal, encoded separators)"),
      403: reasonDoc("token missing, expired or out of scope; an upload source; or a playlist (served only stitched, by media_list)"),
      404: reasonDoc("no such object"),
      412: reasonDoc("If-Match / If-Unmodified-Since failed"),
      416: reasonDoc("range not satisfiable"),
    },
  }),
  async (c) => {
    const path = new URL(c.req.url).pathname;
    const rawPath = path.slice(path.indexOf("/media/") + "/media/".length);
    // The old system's bucket/object URLs of imported objects (docs/migration.md).
    const legacy = await legacyMediaFromPath(c, rawPath);
    if (legacy) return legacy;
    const { token, imp } = c.req.valid("query");
    const r = await serveMedia(c.env, c.var.db, (p) => c.executionCtx.waitUntil(p), c.req.raw, rawPath, token, imp);
    return r.ok ? r.response : refuse(c, r.status, r.reason);
  },
);
