// The admin's ads: list, inspect (impressions and, for an ad server's creatives, beacons by day) and delete,
// the site's own and the ad server's conditioned creatives alike; and the ad server's outcomes by day. The
// bearer check is the app's (app.ts puts every /api/v1/admin/* route behind requireAdmin).

import { createRoute, z } from "@hono/zod-openapi";
import { and, asc, desc, eq, inArray, notInArray, sql } from "drizzle-orm";
import { AdId } from "../../schema/ids";
import { adPlaylistUrl, adPrefix, mediaUrl } from "../../schema/keys";
import { Rendition, validRenditions } from "../../schema/jobs";
import { adBeacons, adImpressions, adServerOutcomes, ads, creatives, jobs } from "../../schema/tables";
import { ACTIVE_STATUSES } from "../jobs";
import { resourceApp } from "../lib/openapi";
import { config } from "../config";
import { adminSecurity, reasonDoc, refuse } from "../lib/responses";
import { askDelete, deleteAskedLater } from "../lib/storage";

const Origin = z.enum(["upload", "vast"]).openapi({ description: "upload: the site's own ad; vast: an ad server's creative conditioned here" });
const Day = z.string().openapi({ example: "2024-05-01" });

const Creative = z.object({ url: z.string(), status: z.string(), error: z.string().nullable(), bytes: z.number().nullable() });

const AdSummary = z.object({
  id: z.string(),
  type: z.string(),
  status: z.string(),
  origin: Origin,
  expiresAt: z.string(),
  createdAt: z.string(),
  creativeUrl: z.string().nullable().openapi({ description: "the ad server's MediaFile URL (origin vast)" }),
});

const AdReport = z
  .object({
    id: z.string(),
    type: z.string(),
    status: z.string(),
    origin: Origin,
    url: z.string().nullable().openapi({ description: "public URL of the asset (image, or the HLS master of a FILM ad)" }),
    duration: z.number().nullable(),
    renditions: z.array(Rendition),
    expiresAt: z.string(),
    createdAt: z.string(),
    expired: z.boolean(),
    creative: Creative.nullable(),
    impressions: z.object({
      total: z.number().int(),
      byDay: z.array(z.object({ day: Day, count: z.number().int() })),
    }),
    beacons: z
      .object({
        total: z.number().int(),
        byDay: z.array(z.object({ day: Day, event: z.string(), count: z.number().int(), pinged: z.number().int(), answered: z.number().int() })),
      })
      .openapi({ description: "server-side beacons fired for this ad (ad-server creatives): each event once per viewer plan and break" }),
  })
  .openapi("AdReport");

const IdParams = z.object({ id: AdId.openapi({ param: { name: "id", in: "path" } }) });
const digits = (name: string, fallback: number, max: number) =>
  z
    .string()
    .regex(/^\d{1,6}$/, "decimal digits")
    .optional()
    .transform((v) => (v === undefined ? fallback : Math.min(Number(v), max)))
    .openapi({ param: { name, in: "query" } });

export const adminAds = resourceApp()
  .openapi(
    createRoute({
      method: "get",
      path: "/api/v1/admin/ads",
      tags: ["admin"],
      summary: "Ads, newest first (the site's and the ad server's creatives), and the ad server's outcomes by day",
      security: adminSecurity,
      request: { query: z.object({ origin: Origin.optional(), offset: digits("offset", 0, 1_000_000), limit: digits("limit", 50, 200) }) },
      responses: {
        200: {
          description: "ads",
          content: {
            "application/json": {
              schema: z.object({ ads: z.array(AdSummary), adServer: z.array(z.object({ day: Day, outcome: z.string(), count: z.number().int() })) }),
            },
          },
        },
        400: reasonDoc("bad query"),
        401: reasonDoc("missing or bad bearer token"),
      },
    }),
    async (c) => {
      const { origin, offset, limit } = c.req.valid("query");
      const db = c.var.db;
      const [rows, outcomes] = await db.batch([
        db
          .select({ ad: ads, url: creatives.url })
          .from(ads)
          .leftJoin(creatives, eq(creatives.adId, ads.id))
          .where(origin ? eq(ads.origin, origin) : undefined)
          .orderBy(desc(ads.createdAt))
          .limit(Math.max(1, limit))
          .offset(offset),
        db.select().from(adServerOutcomes).orderBy(desc(adServerOutcomes.day), asc(adServerOutcomes.outcome)).limit(300),
      ]);
      return c.json(
        {
          ads: rows.map(({ ad, url }) => ({
            id: ad.id,
            type: ad.type,
            status: ad.status,
            origin: ad.origin,
            expiresAt: new Date(ad.expiresAt).toISOString(),
            createdAt: new Date(ad.createdAt).toISOString(),
            creativeUrl: url,
          })),
          adServer: outcomes,
        },
        200,
      );
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/api/v1/admin/ads/{id}",
      tags: ["admin"],
      summary: "An ad with its impressions by day (a FILM ad's first segment fetched = one impression) and its beacons by day",
      security: adminSecurity,
      request: { params: IdParams },
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
      const [rows, days, creativeRows, beaconRows] = await db.batch([
        db.select().from(ads).where(eq(ads.id, id)).limit(1),
        db.select({ day: adImpressions.day, count: adImpressions.count }).from(adImpressions).where(eq(adImpressions.adId, id)).orderBy(asc(adImpressions.day)),
        db.select({ url: creatives.url, status: creatives.status, error: creatives.error, bytes: creatives.bytes }).from(creatives).where(eq(creatives.adId, id)).limit(1),
        db
          .select({ day: adBeacons.day, event: adBeacons.event, count: sql<number>`count(*)`, pinged: sql<number>`sum(${adBeacons.sent})`, answered: sql<number>`sum(${adBeacons.ok})` })
          .from(adBeacons)
          .where(eq(adBeacons.adId, id))
          .groupBy(adBeacons.day, adBeacons.event)
          .orderBy(asc(adBeacons.day), asc(adBeacons.event)),
      ]);
      const ad = rows[0];
      if (!ad) return refuse(c, 404, `no ad ${id}`);
      return c.json(
        {
          id: ad.id,
          type: ad.type,
          status: ad.status,
          origin: ad.origin,
          url: ad.assetKey ? (ad.type === "FILM" ? adPlaylistUrl(config(c.env).publicBaseUrl, ad.id) : mediaUrl(config(c.env).publicBaseUrl, ad.assetKey)) : null,
          duration: ad.duration,
          renditions: validRenditions(ad.renditions),
          expiresAt: new Date(ad.expiresAt).toISOString(),
          createdAt: new Date(ad.createdAt).toISOString(),
          expired: ad.expiresAt <= Date.now(),
          creative: creativeRows[0] ?? null,
          impressions: { total: days.reduce((n, d) => n + d.count, 0), byDay: days },
          beacons: { total: beaconRows.reduce((n, d) => n + d.count, 0), byDay: beaconRows },
        },
        200,
      );
    },
  )
  .openapi(
    createRoute({
      method: "delete",
      path: "/api/v1/admin/ads/{id}",
      tags: ["admin"],
      summary: "Delete an ad: its row, impressions, beacons, R2 objects and (an ad server's creative) its creative row, so the URL is conditioned anew if it comes back",
      security: adminSecurity,
      request: { params: IdParams },
      responses: {
        200: { description: "deleted", content: { "application/json": { schema: z.object({ id: z.string(), deleted: z.literal(true) }) } } },
        400: reasonDoc("bad id"),
        401: reasonDoc("missing or bad bearer token"),
        404: reasonDoc("no such ad"),
      },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const db = c.var.db;
      const now = Date.now();
      // Before the batch, so a 404 asks no delete (two concurrent deletes: the second ask finds nothing).
      if (!(await db.select({ id: ads.id }).from(ads).where(eq(ads.id, id)).get())) return refuse(c, 404, `no ad ${id}`);
      // A job still running keeps a "superseded" row, so its late callback learns the ad is gone.
      const [gone] = await db.batch([
        db.delete(ads).where(eq(ads.id, id)).returning({ id: ads.id }),
        db.delete(creatives).where(eq(creatives.adId, id)),
        db.delete(adBeacons).where(eq(adBeacons.adId, id)),
        db
          .update(jobs)
          .set({ status: "superseded", error: "the ad was deleted", finishedAt: now, updatedAt: now })
          .where(and(eq(jobs.adId, id), inArray(jobs.status, [...ACTIVE_STATUSES]))),
        db.delete(jobs).where(and(eq(jobs.adId, id), notInArray(jobs.status, [...ACTIVE_STATUSES, "superseded"]))),
        askDelete(db, adPrefix(id), `ad ${id} deleted`),
      ]);
      if (gone.length === 0) return refuse(c, 404, `no ad ${id}`);
      deleteAskedLater(c.executionCtx, db, c.env.MEDIA, adPrefix(id));
      return c.json({ id, deleted: true as const }, 200);
    },
  );
