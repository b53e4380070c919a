// GET /api/v1/admin/ads/{id}: an ad and its impressions by day. The bearer check is the app's
// (app.ts puts every /api/v1/admin/* route behind requireAdmin).

import { createRoute, z } from "@hono/zod-openapi";
import { asc, eq } from "drizzle-orm";
import { AdId } from "../../schema/ids";
import { adPlaylistUrl, mediaUrl } from "../../schema/keys";
import { Rendition, validRenditions } from "../../schema/jobs";
import { adImpressions, ads } from "../../schema/tables";
import { resourceApp } from "../lib/openapi";
import { config } from "../config";
import { adminSecurity, reasonDoc, refuse } from "../lib/responses";

const AdReport = z
  .object({
    id: z.string(),
    type: z.string(),
    status: z.string(),
    url: z.string().nullable().openapi({ description: "public URL of the asset (image, or the HLS master of a FILM ad)" }),
    duration: z.number().nullable(),
    renditions: z.array(Rendition),
    expiresAt: z.string(),
    createdAt: z.string(),
    expired: z.boolean(),
    impressions: z.object({
      total: z.number().int(),
      byDay: z.array(z.object({ day: z.string().openapi({ example: "2024-05-01" }), count: z.number().int() })),
    }),
  })
  .openapi("AdReport");

export const adminAds = resourceApp().openapi(
  createRoute({
    method: "get",
    path: "/api/v1/admin/ads/{id}",
    tags: ["admin"],
    summary: "An ad with its impressions by day (a FILM ad's first segment fetched = one impression)",
    security: adminSecurity,
    request: { params: z.object({ id: AdId.openapi({ param: { name: "id", in: "path" } }) }) },
    responses: {
      200: { description: "the ad", content: { "application/json": { schema: AdReport } } },
      400: reasonDoc("bad id"),
      401: reasonDoc("missing or bad bearer token"),
      404: reasonDoc("no such ad"),
    },
  }),
  async (c) => {
    const { id } = c.req.valid("param");
    const db = c.var.db;
    const [rows, days] = await db.batch([
      db.select().from(ads).where(eq(ads.id, id)).limit(1),
      db.select({ day: adImpressions.day, count: adImpressions.count }).from(adImpressions).where(eq(adImpressions.adId, id)).orderBy(asc(adImpressions.day)),
    ]);
    const ad = rows[0];
    if (!ad) return refuse(c, 404, `no ad ${id}`);
    return c.json(
      {
        id: ad.id,
        type: ad.type,
        status: ad.status,
        url: ad.assetKey ? (ad.type === "FILM" ? adPlaylistUrl(config(c.env).publicBaseUrl, ad.id) : mediaUrl(config(c.env).publicBaseUrl, ad.assetKey)) : null,
        duration: ad.duration,
        renditions: validRenditions(ad.renditions),
        expiresAt: new Date(ad.expiresAt).toISOString(),
        createdAt: new Date(ad.createdAt).toISOString(),
        expired: ad.expiresAt <= Date.now(),
        impressions: { total: days.reduce((n, d) => n + d.count, 0), byDay: days },
      },
      200,
    );
  },
);
