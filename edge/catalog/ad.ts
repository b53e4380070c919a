import { createRoute } from "@hono/zod-openapi";
import { mediaUrl } from "../../schema/keys";
import { resourceApp } from "../lib/openapi";
import { adPlaylistUrl } from "../playback/ad-playlists";
import { signingOn } from "../playback/media-tokens";
import { CostedReads } from "./d1-cost";
import { AdAnswer, AdTypeParam, badRequest, json, Reason } from "./schemas";

export const ad = resourceApp().openapi(
  createRoute({
    method: "get",
    path: "/ad/{type}",
    tags: ["catalog"],
    summary: "One random ready, unexpired ad of a type",
    request: { params: AdTypeParam },
    responses: { 200: json(AdAnswer, "the ad's URL"), 400: badRequest, 404: json(Reason, "no ad of that type") },
  }),
  async (c) => {
    const { type } = c.req.valid("param");
    const reads = new CostedReads(c.env.DB);
    // ads_pick (type, status, expires_at) narrows this to the candidates; the pick is random on each call.
    const row = await reads.first<{ id: string; asset_key: string }>(
      "SELECT id, asset_key FROM ads WHERE type = ? AND status = 'ready' AND expires_at > ? AND asset_key IS NOT NULL ORDER BY random() LIMIT 1",
      [type, Date.now()],
    );
    if (!row) return c.json({ reason: `no ready, unexpired ${type} ad` }, 404, reads.headers());
    // A different ad on each call: caches must not keep one.
    // With signing on, the stored master's relative variant URIs cannot carry a token: a playlist route can.
    const url = type === "FILM" && signingOn(c.env) ? adPlaylistUrl(c.env.PUBLIC_BASE_URL, row.id) : mediaUrl(c.env.PUBLIC_BASE_URL, row.asset_key);
    return c.json({ URL: url }, 200, { ...reads.headers(), "Cache-Control": "no-store" });
  },
);
