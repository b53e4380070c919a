import { createRoute } from "@hono/zod-openapi";
import { adPlaylistUrl, mediaUrl } from "../../schema/keys";
import { cachedValue, scopeOf } from "../lib/answer-cache";
import { resourceApp } from "../lib/openapi";
import { CostedReads } from "./d1-cost";
import { AdAnswer, AdTypeParam, badRequest, json } from "./schemas";
import { config } from "../config";
import { reasonDoc, refuse } from "../lib/responses";

/** More ready ads of one type than a site runs at once; the pick is among these. */
const MAX_CANDIDATES = 500;

export const ad = resourceApp().openapi(
  createRoute({
    method: "get",
    path: "/ad/{type}",
    tags: ["catalog"],
    summary: "One random ready, unexpired ad of a type",
    request: { params: AdTypeParam },
    responses: { 200: json(AdAnswer, "the ad's URL"), 400: badRequest, 404: reasonDoc("no ad of that type") },
  }),
  async (c) => {
    const { type } = c.req.valid("param");
    const reads = new CostedReads(c.env.DB);
    // The candidates are cached like any catalog answer; the pick is random on each call, and an ad
    // that expired since the candidates were read is left out here.
    const { value: candidates, state } = await cachedValue(scopeOf(c), `ads:${type}`, () =>
      reads.all<{ id: string; asset_key: string; expires_at: number }>(
        "SELECT id, asset_key, expires_at FROM ads WHERE type = ? AND origin = 'upload' AND status = 'ready' AND expires_at > ? AND asset_key IS NOT NULL LIMIT ?",
        [type, Date.now(), MAX_CANDIDATES],
      ),
    );
    const now = Date.now();
    const live = candidates.filter((a) => a.expires_at > now);
    const headers = { ...reads.headers(), "X-Cache": state, "Cache-Control": "no-store" };
    if (live.length === 0) return refuse(c, 404, `no ready, unexpired ${type} ad`, headers);
    const pick = live[Math.floor(Math.random() * live.length)]!;
    // A different ad on each call: caches must not keep one.
    // A FILM ad's own playlists are never served raw from the media route (nothing raw is): its playlist
    // route serves them with absolute (and, with MEDIA_SIGNING on, tokened) URIs.
    const { publicBaseUrl } = config(c.env);
    const url = type === "FILM" ? adPlaylistUrl(publicBaseUrl, pick.id) : mediaUrl(publicBaseUrl, pick.asset_key);
    return c.json({ URL: url }, 200, headers);
  },
);
