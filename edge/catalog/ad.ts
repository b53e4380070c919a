import { createRoute } from "@hono/zod-openapi";
import { mediaUrl } from "../../schema/keys";
import { resourceApp } from "../lib/openapi";
import { CostedReads } from "./d1-cost";
import { AdAnswer, AdTypeParam, badRequest, json } from "./schemas";
import { config } from "../config";
import { reasonDoc, refuse } from "../lib/responses";

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
    // ads_pick (type, status, expires_at) narrows this to the candidates; the pick is random on each call.
    const row = await reads.first<{ asset_key: string }>(
      "SELECT asset_key FROM ads WHERE type = ? AND status = 'ready' AND expires_at > ? AND asset_key IS NOT NULL ORDER BY random() LIMIT 1",
      [type, Date.now()],
    );
    if (!row) return refuse(c, 404, `no ready, unexpired ${type} ad`, reads.headers());
    // A different ad on each call: caches must not keep one.
    return c.json({ URL: mediaUrl(config(c.env).publicBaseUrl, row.asset_key) }, 200, { ...reads.headers(), "Cache-Control": "no-store" });
  },
);
