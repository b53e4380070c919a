// The seed's upload routes (/api/v1/upload), behind the admin bearer token (edge/lib/auth.ts).
import { createRoute, z } from "@hono/zod-openapi";
import { and, eq, sql } from "drizzle-orm";
import { AdType } from "../../schema/enums";
import { EpisodeName, FilmId, RouteName } from "../../schema/ids";
import * as keys from "../../schema/keys";
import { ads, episodes, films } from "../../schema/tables";
import { config } from "../config";
import { filmExists, registerJob, retireJobs, sourceKeyFor } from "../jobs";
import { ApiError, describeZodError } from "../lib/errors";
import { resourceApp } from "../lib/openapi";
import { adminSecurity, refuse, refused } from "../lib/responses";
import type { Sniffed } from "../lib/sniff";
import { DeletedObjectsShape, askDelete, cleanupLater, deleteAskedNow } from "../lib/storage";
import { FilmInput, createFilm, deleteFilm, reindexFilm } from "./films";
import { checkContentLength, receiveFormFile } from "./form-file";

const ok = <T extends z.ZodType>(schema: T, description = "done") => ({ 200: { description, content: { "application/json": { schema } } } });
const security = adminSecurity;
const tags = ["upload"];

/** Multipart bodies are read by our own streaming reader, so the schema here documents, never validates. */
const fileForm = (extra: Record<string, object> = {}) => ({
  content: {
    "multipart/form-data": {
      schema: { type: "object" as const, required: ["file"], properties: { file: { type: "string" as const, format: "binary" }, ...extra } },
    },
  },
});

/** Room for a form's boundaries and part headers around an image. */
const FORM_OVERHEAD = 64 * 1024;
const MAX_JSON_BYTES = 256 * 1024;


const FilmParam = z.object({ id: FilmId });
const EpisodeParams = z.object({ route: RouteName, id: FilmId, episode: EpisodeName });
const StateQuery = z.object({ state: z.string().max(200).optional() });

const kindOnly = (want: Sniffed["kind"], field = "file") => (s: Sniffed) => {
  if (s.kind !== want) {
    throw new ApiError(415, want === "image" ? `${field}: must be a PNG, JPEG, GIF or WebP image` : `${field}: must be a video (MP4, MOV, MKV, WebM, MPEG-TS, AVI or FLV)`);
  }
};

const AdFields = z.object({
  advertisement_type: AdType,
  expired_time: z.iso
    .datetime({ offset: true })
    .refine((t) => Date.parse(t) > Date.now(), "must be in the future"),
});

function parseAdFields(fields: Map<string, string>, partial: boolean): z.infer<typeof AdFields> | null {
  const raw = Object.fromEntries(fields);
  const schema = partial ? AdFields.partial() : AdFields;
  const r = schema.safeParse(raw);
  if (!r.success) throw new ApiError(400, describeZodError("form", r.error).replaceAll("form.", ""));
  return partial ? null : (r.data as z.infer<typeof AdFields>);
}

export const upload = resourceApp()
  .openapi(
    createRoute({
      method: "post",
      path: "/api/v1/upload/media/",
      tags,
      security,
      summary: "Create a film",
      request: { body: { required: true, content: { "application/json": { schema: FilmInput } } } },
      middleware: [
        async (c, next) => {
          checkContentLength(c.req.raw, MAX_JSON_BYTES);
          await next();
        },
      ] as const,
      responses: { ...ok(z.object({ id: z.string() }), "the new film's id"), ...refused(400, 401, 413, 415) },
    }),
    async (c) => {
      const id = crypto.randomUUID();
      await createFilm(c.var.db, id, c.req.valid("json"));
      return c.json({ id }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "delete",
      path: "/api/v1/upload/media/{id}",
      tags,
      security,
      summary: "Delete a film: its rows, every object under it, its search entry",
      request: { params: FilmParam },
      responses: { ...ok(z.object({ id: z.string(), deleted: z.literal(true), ...DeletedObjectsShape })), ...refused(400, 401, 404) },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      if (!(await filmExists(c.var.db, id))) return refuse(c, 404, `film ${id} not found`);
      return c.json({ id, deleted: true as const, ...(await deleteFilm(c.var.db, c.env.MEDIA, id)) }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/api/v1/upload/media/search_engine/{id}",
      tags,
      security,
      summary: "(Re)index a film for search (idempotent)",
      request: { params: FilmParam },
      responses: { ...ok(z.object({ id: z.string(), indexed: z.literal(true) })), ...refused(400, 401, 404) },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      if (!(await filmExists(c.var.db, id))) return refuse(c, 404, `film ${id} not found`);
      await reindexFilm(c.env.DB, id);
      return c.json({ id, indexed: true as const }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/api/v1/upload/media/image/{id}",
      tags,
      security,
      summary: "Set a film's poster (PNG, JPEG, GIF or WebP, recognised by content)",
      request: { params: FilmParam, body: fileForm() },
      responses: { ...ok(z.object({ id: z.string(), resource: z.string() })), ...refused(400, 401, 404, 413, 415) },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const db = c.var.db;
      if (!(await filmExists(db, id))) return refuse(c, 404, `film ${id} not found`);
      const version = crypto.randomUUID();
      const limit = config(c.env).maxImageBytes;
      const up = await receiveFormFile(c.req.raw, c.env.MEDIA, {
        bodyLimit: limit + FORM_OVERHEAD,
        plan: (s) => {
          kindOnly("image")(s);
          return { key: keys.posterKey(id, version, s.ext), maxBytes: limit };
        },
      });
      // Read the old key and write the new one in one transaction, so concurrent uploads never
      // lose track of a poster to delete.
      const [before, updated] = await db.batch([
        db.select({ posterKey: films.posterKey }).from(films).where(eq(films.id, id)),
        db.update(films).set({ posterKey: up.file.key }).where(eq(films.id, id)).returning({ id: films.id }),
      ]);
      if (updated.length === 0) {
        await up.discard();
        return refuse(c, 404, `film ${id} not found`);
      }
      const previous = before[0]?.posterKey;
      if (previous && previous !== up.file.key) cleanupLater(c.executionCtx, `old poster ${previous}`, () => c.env.MEDIA.delete(previous));
      return c.json({ id, resource: keys.mediaUrl(config(c.env).publicBaseUrl, up.file.key) }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/api/v1/upload/media/resource/{route}/{id}/{episode}",
      tags,
      security,
      summary: "Upload an episode's source video; queues its transcoding",
      description:
        "The source goes to R2, a job row (queued) and the episode row (processing; a ready episode keeps playing its current version) land in one batch, then the job goes on the Queue. `state` becomes the film's state when the transcode completes.",
      request: { params: EpisodeParams, query: StateQuery, body: fileForm() },
      responses: {
        ...ok(z.object({ jobId: z.string(), status: z.literal("queued"), source: z.string() }), "the source is stored and its job queued"),
        ...refused(400, 401, 404, 413, 415, 503),
      },
    }),
    async (c) => {
      const { route, id, episode } = c.req.valid("param");
      const { state } = c.req.valid("query");
      if (!(await filmExists(c.var.db, id))) return refuse(c, 404, `film ${id} not found`);
      const jobId = crypto.randomUUID();
      const target = { kind: "episode" as const, filmId: id, route, episode, state };
      const limit = config(c.env).maxUploadBytes;
      const up = await receiveFormFile(c.req.raw, c.env.MEDIA, {
        bodyLimit: limit,
        plan: (s) => {
          kindOnly("video")(s);
          return { key: sourceKeyFor(target, jobId), maxBytes: limit };
        },
      });
      try {
        const message = await registerJob(c.env, c.var.db, c.executionCtx, target, jobId);
        return c.json({ jobId, status: "queued" as const, source: message.sourceKey }, 200);
      } catch (e) {
        await up.discard();
        throw e;
      }
    },
  )
  .openapi(
    createRoute({
      method: "delete",
      path: "/api/v1/upload/media/resource/{route}/{id}/{episode}",
      tags,
      security,
      summary: "Delete an episode (its files and row); `state` sets the film's state",
      request: { params: EpisodeParams, query: StateQuery },
      responses: { ...ok(z.object({ deleted: z.literal(true), ...DeletedObjectsShape })), ...refused(400, 401, 404) },
    }),
    async (c) => {
      const { route, id, episode } = c.req.valid("param");
      const { state } = c.req.valid("query");
      const db = c.var.db;
      const where = and(eq(episodes.filmId, id), eq(episodes.route, route), eq(episodes.episode, episode));
      if (!(await db.select({ s: episodes.status }).from(episodes).where(where).get())) {
        return refuse(c, 404, `episode ${route}/${episode} of film ${id} not found`);
      }
      const now = Date.now();
      const prefix = keys.episodePrefix(id, route, episode);
      await db.batch([
        ...retireJobs(db, { filmId: id, route, episode }, "episode deleted", now),
        db.delete(episodes).where(where),
        db
          .update(films)
          .set({
            ...(state !== undefined ? { state } : {}),
            // The fallback poster may be a frame of this episode's output, which is going away.
            autoPosterKey: sql`CASE WHEN substr(${films.autoPosterKey}, 1, ${prefix.length}) = ${prefix} THEN NULL ELSE ${films.autoPosterKey} END`,
          })
          .where(eq(films.id, id)),
        askDelete(db, prefix, `episode ${route}/${episode} of film ${id} deleted`),
      ]);
      return c.json({ deleted: true as const, ...(await deleteAskedNow(db, c.env.MEDIA, prefix)) }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/api/v1/upload/ad",
      tags,
      security,
      summary: "Upload an ad: FILM (a video, transcoded before use) or WEB / WEB_BAR / WEB_CORNER (an image, ready at once)",
      request: {
        body: fileForm({
          advertisement_type: { type: "string", enum: AdType.options },
          expired_time: { type: "string", format: "date-time", description: "RFC 3339, in the future" },
        }),
      },
      responses: {
        ...ok(
          z.object({ id: z.string(), type: AdType, status: z.enum(["processing", "ready"]), jobId: z.string().optional(), URL: z.string().optional() }),
        ),
        ...refused(400, 401, 413, 415, 503),
      },
    }),
    async (c) => {
      const adId = crypto.randomUUID();
      const jobId = crypto.randomUUID();
      const { maxUploadBytes: videoLimit, maxImageBytes: imageLimit } = config(c.env);
      const up = await receiveFormFile(c.req.raw, c.env.MEDIA, {
        bodyLimit: videoLimit,
        plan: (s, fields) => {
          // Fields sent before the file are checked before anything is stored.
          parseAdFields(fields, true);
          const declared = fields.get("advertisement_type");
          if (declared !== undefined) kindOnly(declared === "FILM" ? "video" : "image")(s);
          return s.kind === "video"
            ? { key: keys.adSourceKey(adId, jobId), maxBytes: videoLimit }
            : { key: keys.adImageKey(adId, s.ext), maxBytes: imageLimit };
        },
      });
      try {
        const fields = parseAdFields(up.fields, false)!;
        const type = fields.advertisement_type;
        kindOnly(type === "FILM" ? "video" : "image")(up.file.sniffed);
        const expiresAt = Date.parse(fields.expired_time);
        if (type === "FILM") {
          await registerJob(c.env, c.var.db, c.executionCtx, { kind: "ad", adId, expiresAt }, jobId);
          return c.json({ id: adId, type, status: "processing" as const, jobId }, 200);
        }
        await c.var.db.insert(ads).values({
          id: adId,
          type,
          status: "ready",
          assetKey: up.file.key,
          contentType: up.file.sniffed.contentType,
          expiresAt,
          createdAt: Date.now(),
        });
        return c.json({ id: adId, type, status: "ready" as const, URL: keys.mediaUrl(config(c.env).publicBaseUrl, up.file.key) }, 200);
      } catch (e) {
        await up.discard();
        throw e;
      }
    },
  );
