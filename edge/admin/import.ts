// /api/v1/admin/import: what `npm run import` needs to bring a site over from the old system with its
// history (old ids, times, daily views) and its already-encoded HLS, which the upload API cannot carry.
// Every write is an idempotent upsert, so a cut import can simply be run again; the GET routes tell the
// importer what is already here, so a second run skips it.
import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { AdType, MediaCategory, MediaLocation, MediaType } from "../../schema/enums";
import { AdId, EpisodeName, FilmId, RouteName } from "../../schema/ids";
import * as keys from "../../schema/keys";
import { hex } from "../../schema/signing";
import { reindexFilmStatements } from "../catalog";
import type { AppEnv } from "../env";
import { PlaylistError, parseMediaPlaylist, serializeMaster } from "../hls";
import { resourceApp } from "../lib/openapi";
import { sniffImage } from "../lib/sniff";
import { utcDay, weekStart } from "../lib/days";
import { askDelete, cleanupLater, deleteAskedLater } from "../lib/storage";
import { adminSecurity, refuse, refused } from "../lib/responses";

const tags = ["admin"];
const security = adminSecurity;
const ok = <T extends z.ZodType>(schema: T, description: string) => ({ description, content: { "application/json": { schema } } });
const Changed = z.object({ changed: z.boolean() }).openapi("ImportChanged");

/** A version of imported HLS: a digest of the old playlist, so the same export lands under the same prefix. */
const ImportVersion = z.string().regex(/^import-[0-9a-f]{16}$/, "import- and 16 hex digits");
/** The only names imported HLS may have: the importer renames the old worker's files to these. */
const HlsFile = z.string().regex(/^(?:index\.m3u8|seg_[0-9]{5,9}\.ts)$/, "index.m3u8 or seg_NNNNN.ts");
const SEGMENT_URI = /^seg_[0-9]{5,9}\.ts$/;
const Day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "a UTC day YYYY-MM-DD");
const Millis = z.number().int().min(-62_135_596_800_000).max(253_402_300_799_999);
const Person = z.string().trim().min(1).max(100);

export const ImportFilm = z
  .object({
    title: z.string().trim().min(1).max(200),
    // The old system stored its "any" values too (unknown names became HOME/ALL_*): kept as they were.
    type: MediaType,
    category: MediaCategory,
    location: MediaLocation,
    language: z.string().max(50),
    releaseYear: z.number().int().min(0).max(9999),
    state: z.string().max(200),
    introduction: z.string().max(20_000),
    actors: z.array(Person).max(200),
    directors: z.array(Person).max(200),
    createdAt: Millis,
    updatedAt: Millis,
    totalViews: z.number().int().min(0),
    views: z
      .array(z.object({ day: Day, views: z.number().int().min(0) }))
      .max(20_000)
      .refine((v) => new Set(v.map((d) => d.day)).size === v.length, "one entry per day"),
  })
  .openapi("ImportFilm");
export type ImportFilm = z.infer<typeof ImportFilm>;

export const ImportRendition = z.object({
  bandwidth: z.number().int().positive(),
  averageBandwidth: z.number().int().positive().optional(),
  width: z.number().int().positive().max(16384),
  height: z.number().int().positive().max(16384),
  codecs: z.string().regex(/^[A-Za-z0-9.,]{1,100}$/, "RFC 6381 codec names"),
});
export const ImportHls = z.object({ version: ImportVersion, rendition: ImportRendition }).openapi("ImportHls");
export const ImportEpisode = ImportHls.extend({ createdAt: Millis, updatedAt: Millis }).openapi("ImportEpisode");
export const ImportAd = z
  .object({
    type: AdType,
    expiresAt: Millis,
    createdAt: Millis,
    image: z.object({ ext: z.enum(["png", "jpg", "gif", "webp"]) }).optional(),
    hls: ImportHls.optional(),
  })
  .refine((a) => (a.type === "FILM") === (a.hls !== undefined) && (a.type === "FILM") !== (a.image !== undefined), "FILM ads carry hls, the others image")
  .openapi("ImportAd");

/** The single rendition of imported HLS: its playlist sits at the root of the version's prefix. */
const RENDITION_NAME = "source";
const RENDITION_PLAYLIST = "index.m3u8";
const FINGERPRINT = (id: string) => `import:film:${id}`;

async function sha256(data: string | ArrayBuffer): Promise<string> {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : new Uint8Array(data);
  return hex(new Uint8Array(await crypto.subtle.digest("SHA-256", bytes)));
}

const FilmParams = z.object({ id: FilmId });
const EpisodeParams = FilmParams.extend({ route: RouteName, episode: EpisodeName });
const AdParams = z.object({ id: AdId });
const rawBody = (description: string) => ({ body: { description, content: { "application/octet-stream": { schema: z.string().openapi({ format: "binary" }) } } } });

type C = Context<AppEnv>;
/** File bodies are answered by plain Responses (411 with a reason too): an entry without a schema lets them through the route's typing. */
const lengthRequired = { 411: { description: "no Content-Length" } };

/** Body bytes of a file route, refused before reading when larger than `max` or of unknown length. */
async function boundedBody(c: C, max: number): Promise<ArrayBuffer | Response> {
  const length = Number(c.req.header("content-length") ?? NaN);
  if (!Number.isSafeInteger(length) || length < 0) return refuse(c, 411, "content-length: required");
  if (length > max) return refuse(c, 413, `body larger than ${max} bytes`);
  const body = await c.req.arrayBuffer();
  if (body.byteLength > max) return refuse(c, 413, `body larger than ${max} bytes`);
  return body;
}

const maxBytes = (value: string | undefined, fallback: number) => {
  const n = Number(value);
  return Number.isSafeInteger(n) && n > 0 ? n : fallback;
};

/**
 * One file of an imported HLS version. Playlists are checked to be playable and to name only the
 * segments beside them (seg_NNNNN.ts): nothing else of the old data ever becomes a URI or a key.
 */
async function putHlsFile(c: C, prefix: string, file: string): Promise<Response> {
  const body = await boundedBody(c, maxBytes(c.env.MAX_UPLOAD_BYTES, 100 * 1024 * 1024));
  if (body instanceof Response) return body;
  const key = prefix + file;
  if (file === RENDITION_PLAYLIST) {
    const text = new TextDecoder().decode(body);
    try {
      const pl = parseMediaPlaylist(text, key);
      if (!pl.endList) return refuse(c, 400, "playlist: must be complete (#EXT-X-ENDLIST)");
      if (pl.segments.length === 0) return refuse(c, 400, "playlist: has no segments");
      if (pl.usesKeys || pl.usesMap || pl.usesByteRange) return refuse(c, 400, "playlist: keys, maps and byte ranges are not imported");
      const stray = pl.segments.find((s) => !s.uri.startsWith(prefix) || !SEGMENT_URI.test(s.uri.slice(prefix.length)));
      if (stray) return refuse(c, 400, "playlist: segment URIs must be seg_NNNNN.ts beside it");
    } catch (e) {
      if (e instanceof PlaylistError || (e as Error).name === "UriError") return refuse(c, 400, `playlist: ${(e as Error).message}`);
      throw e;
    }
  } else if (new Uint8Array(body.slice(0, 1))[0] !== 0x47) {
    return refuse(c, 400, "segment: not MPEG-TS");
  }
  const type = file.endsWith(".m3u8") ? "application/vnd.apple.mpegurl" : "video/mp2t";
  await c.env.MEDIA.put(key, body, { httpMetadata: { contentType: type } });
  return c.json({ key: file, size: body.byteLength }, 200);
}

async function listFiles(bucket: R2Bucket, prefix: string): Promise<Array<{ name: string; size: number }>> {
  const out: Array<{ name: string; size: number }> = [];
  let cursor: string | undefined;
  do {
    const page = await bucket.list({ prefix, cursor, limit: 1000 });
    for (const o of page.objects) out.push({ name: o.key.slice(prefix.length), size: o.size });
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor);
  return out;
}

/**
 * Makes an uploaded version playable: every segment its playlist names is there, then a one-variant
 * master beside it (what an episode's or ad's master_key names). Answers the rendition row or a reason.
 */
type Finished = { reason: string } | { duration: number; renditions: Array<{ name: string; playlist: string } & z.infer<typeof ImportRendition>>; masterKey: string };
async function finishHls(bucket: R2Bucket, prefix: string, r: z.infer<typeof ImportRendition>): Promise<Finished> {
  const playlist = await bucket.get(prefix + RENDITION_PLAYLIST);
  if (!playlist) return { reason: `${RENDITION_PLAYLIST} of this version was not uploaded` };
  const pl = parseMediaPlaylist(await playlist.text(), prefix + RENDITION_PLAYLIST);
  const present = new Set((await listFiles(bucket, prefix)).map((f) => prefix + f.name));
  const missing = pl.segments.filter((s) => !present.has(s.uri)).length;
  if (missing > 0) return { reason: `${missing} segment(s) of the playlist were not uploaded` };
  const master = serializeMaster({
    independentSegments: false,
    variants: [{ uri: RENDITION_PLAYLIST, bandwidth: r.bandwidth, averageBandwidth: r.averageBandwidth, width: r.width, height: r.height, codecs: r.codecs }],
  });
  await bucket.put(prefix + keys.MASTER_PLAYLIST, master, { httpMetadata: { contentType: "application/vnd.apple.mpegurl" } });
  const rendition = { name: RENDITION_NAME, ...r, playlist: RENDITION_PLAYLIST };
  return { duration: pl.duration, renditions: [rendition], masterKey: prefix + keys.MASTER_PLAYLIST };
}

export const adminImport = resourceApp()
  // ---- films ----------------------------------------------------------------------------------
  .openapi(
    createRoute({
      method: "get",
      path: "/api/v1/admin/import/films/{id}",
      tags,
      security,
      summary: "What an import already wrote for a film: its fingerprint, poster and episodes",
      request: { params: FilmParams },
      responses: {
        200: ok(
          z.object({
            film: z.object({ fingerprint: z.string().nullable(), posterKey: z.string().nullable() }).nullable(),
            episodes: z.array(z.object({ route: z.string(), episode: z.string(), status: z.string(), hlsPrefix: z.string().nullable(), jobId: z.string().nullable() })),
          }),
          "state",
        ),
        ...refused(400, 401),
      },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const [film, fp, eps] = await c.env.DB.batch([
        c.env.DB.prepare("SELECT poster_key FROM films WHERE id = ?").bind(id),
        c.env.DB.prepare("SELECT value FROM meta WHERE key = ?").bind(FINGERPRINT(id)),
        c.env.DB.prepare("SELECT route, episode, status, hls_prefix, job_id FROM episodes WHERE film_id = ?").bind(id),
      ]);
      const f = film!.results[0] as { poster_key: string | null } | undefined;
      const print = (fp!.results[0] as { value: string } | undefined)?.value ?? null;
      const episodes = (eps!.results as Array<{ route: string; episode: string; status: string; hls_prefix: string | null; job_id: string | null }>).map((e) => ({
        route: e.route,
        episode: e.episode,
        status: e.status,
        hlsPrefix: e.hls_prefix,
        jobId: e.job_id,
      }));
      return c.json({ film: f ? { fingerprint: print, posterKey: f.poster_key } : null, episodes }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "put",
      path: "/api/v1/admin/import/films/{id}",
      tags,
      security,
      summary: "Create or replace a film with its old id, times, people and daily views (one D1 batch)",
      description:
        "Idempotent: the same document again changes nothing ({changed:false}). Counters come from the history: " +
        "total = totalViews, week = the days of the current seven-day window, today = today's day row.",
      request: { params: FilmParams, body: { content: { "application/json": { schema: ImportFilm } }, required: true } },
      responses: { 200: ok(Changed, "written, or already the same"), ...refused(400, 401, 413) },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const f = c.req.valid("json");
      const print = await sha256(JSON.stringify(f));
      const db = c.env.DB;
      const same = await db.prepare("SELECT 1 FROM meta m JOIN films f ON f.id = ?1 WHERE m.key = ?2 AND m.value = ?3").bind(id, FINGERPRINT(id), print).first();
      if (same) return c.json({ changed: false }, 200);

      const today = utcDay(Date.now());
      const statements: D1PreparedStatement[] = [
        db
          .prepare(
            `INSERT INTO films (id, title, type, category, location, language, release_year, state, introduction, created_at, updated_at, total_views)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
             ON CONFLICT (id) DO UPDATE SET title = excluded.title, type = excluded.type, category = excluded.category,
               location = excluded.location, language = excluded.language, release_year = excluded.release_year, state = excluded.state,
               introduction = excluded.introduction, created_at = excluded.created_at, updated_at = excluded.updated_at, total_views = excluded.total_views`,
          )
          .bind(id, f.title, f.type, f.category, f.location, f.language, f.releaseYear, f.state, f.introduction, f.createdAt, f.updatedAt, f.totalViews),
        db.prepare("DELETE FROM film_people WHERE film_id = ?").bind(id),
        db.prepare("DELETE FROM film_views WHERE film_id = ?").bind(id),
      ];
      // Whole lists as one JSON parameter each: the batch stays a handful of statements however long the
      // history (D1 counts statements per invocation and binds at most 100 parameters per statement).
      // json_each's key is the array index: the people's order.
      for (const [role, names] of [["actor", f.actors], ["director", f.directors]] as const) {
        if (names.length) {
          statements.push(
            db.prepare("INSERT INTO film_people (film_id, role, name, position) SELECT ?1, ?2, value, key FROM json_each(?3)").bind(id, role, JSON.stringify(names)),
          );
        }
      }
      if (f.views.length) {
        statements.push(
          db
            .prepare("INSERT INTO film_views (film_id, day, views) SELECT ?1, json_extract(value, '$.day'), json_extract(value, '$.views') FROM json_each(?2)")
            .bind(id, JSON.stringify(f.views)),
        );
      }
      // The ranking counters the catalog's indexes read, as the history implies them today; the cron
      // roll-up takes them on from here like any other film's.
      statements.push(
        db
          .prepare(
            `UPDATE films SET
               today_views = coalesce((SELECT views FROM film_views WHERE film_id = ?1 AND day = ?2), 0), views_day = ?2,
               week_views = (SELECT coalesce(sum(views), 0) FROM film_views WHERE film_id = ?1 AND day >= ?3 AND day <= ?2)
             WHERE id = ?1`,
          )
          .bind(id, today, weekStart(today)),
        ...reindexFilmStatements(db, id),
        db.prepare("INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value").bind(FINGERPRINT(id), print),
      );
      await db.batch(statements);
      return c.json({ changed: true }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "put",
      path: "/api/v1/admin/import/films/{id}/poster",
      tags,
      security,
      summary: "Set an imported film's poster (PNG, JPEG, GIF or WebP, recognised by content); the same bytes again change nothing",
      request: { params: FilmParams, ...rawBody("the image") },
      responses: { 200: ok(Changed.extend({ key: z.string() }), "stored"), ...refused(400, 401, 404, 413), ...lengthRequired },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const body = await boundedBody(c, maxBytes(c.env.MAX_IMAGE_BYTES, 10 * 1024 * 1024));
      if (body instanceof Response) return body;
      const kind = sniffImage(new Uint8Array(body.slice(0, 64)));
      if (!kind) return refuse(c, 400, "poster: not a PNG, JPEG, GIF or WebP image");
      const film = await c.env.DB.prepare("SELECT poster_key FROM films WHERE id = ?").bind(id).first<{ poster_key: string | null }>();
      if (!film) return refuse(c, 404, `film ${id} not found (import the film first)`);
      const key = keys.posterKey(id, `import-${(await sha256(body)).slice(0, 16)}`, kind.ext);
      if (film.poster_key === key) return c.json({ changed: false, key }, 200);
      await c.env.MEDIA.put(key, body, { httpMetadata: { contentType: kind.contentType } });
      await c.env.DB.prepare("UPDATE films SET poster_key = ? WHERE id = ?").bind(key, id).run();
      const previous = film.poster_key;
      if (previous) cleanupLater(c.executionCtx, `old poster ${previous}`, () => c.env.MEDIA.delete(previous));
      return c.json({ changed: true, key }, 200);
    },
  )
  // ---- episodes -------------------------------------------------------------------------------
  .openapi(
    createRoute({
      method: "get",
      path: "/api/v1/admin/import/films/{id}/episodes/{route}/{episode}/hls/{version}",
      tags,
      security,
      summary: "Files already uploaded for an imported HLS version of an episode",
      request: { params: EpisodeParams.extend({ version: ImportVersion }) },
      responses: { 200: ok(z.object({ files: z.array(z.object({ name: z.string(), size: z.number() })) }), "files"), ...refused(400, 401) },
    }),
    async (c) => {
      const { id, route, episode, version } = c.req.valid("param");
      return c.json({ files: await listFiles(c.env.MEDIA, keys.episodeOutputPrefix(id, route, episode, version)) }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "put",
      path: "/api/v1/admin/import/films/{id}/episodes/{route}/{episode}/hls/{version}/{file}",
      tags,
      security,
      summary: "Upload one file of an episode's old single-rendition HLS (index.m3u8 or seg_NNNNN.ts)",
      request: { params: EpisodeParams.extend({ version: ImportVersion, file: HlsFile }), ...rawBody("the file") },
      responses: { 200: ok(z.object({ key: z.string(), size: z.number() }), "stored"), ...refused(400, 401, 413), ...lengthRequired },
    }),
    async (c) => {
      const { id, route, episode, version, file } = c.req.valid("param");
      return putHlsFile(c, keys.episodeOutputPrefix(id, route, episode, version), file);
    },
  )
  .openapi(
    createRoute({
      method: "put",
      path: "/api/v1/admin/import/films/{id}/episodes/{route}/{episode}",
      tags,
      security,
      summary: "Make an episode ready on its uploaded HLS version (a one-rendition ladder, stitched with ads like any other)",
      request: { params: EpisodeParams, body: { content: { "application/json": { schema: ImportEpisode } }, required: true } },
      responses: { 200: ok(Changed, "ready"), ...refused(400, 401, 404, 409, 413) },
    }),
    async (c) => {
      const { id, route, episode } = c.req.valid("param");
      const body = c.req.valid("json");
      const db = c.env.DB;
      const prefix = keys.episodeOutputPrefix(id, route, episode, body.version);
      const [film, current] = await db.batch([
        db.prepare("SELECT 1 AS x FROM films WHERE id = ?").bind(id),
        db.prepare("SELECT status, hls_prefix, job_id FROM episodes WHERE film_id = ? AND route = ? AND episode = ?").bind(id, route, episode),
      ]);
      if (film!.results.length === 0) return refuse(c, 404, `film ${id} not found (import the film first)`);
      const was = current!.results[0] as { status: string; hls_prefix: string | null; job_id: string | null } | undefined;
      if (was?.status === "ready" && was.hls_prefix === prefix) return c.json({ changed: false }, 200);
      // An upload or --retranscode gave the episode to the transcoder: its ladder wins over the old HLS.
      if (was?.job_id) return refuse(c, 409, `episode ${route}/${episode} has a transcode (job ${was.job_id}); the import does not replace it`);
      const done = await finishHls(c.env.MEDIA, prefix, body.rendition);
      if ("reason" in done) return refuse(c, 409, done.reason);
      await db
        .prepare(
          `INSERT INTO episodes (film_id, route, episode, status, job_id, hls_prefix, master_key, source_key, duration, renditions, created_at, updated_at)
           VALUES (?1, ?2, ?3, 'ready', NULL, ?4, ?5, NULL, ?6, ?7, ?8, ?9)
           ON CONFLICT (film_id, route, episode) DO UPDATE SET status = 'ready', job_id = NULL, hls_prefix = excluded.hls_prefix,
             master_key = excluded.master_key, duration = excluded.duration, renditions = excluded.renditions,
             created_at = excluded.created_at, updated_at = excluded.updated_at`,
        )
        .bind(id, route, episode, prefix, done.masterKey, done.duration, JSON.stringify(done.renditions), body.createdAt, body.updatedAt)
        .run();
      const previous = was?.hls_prefix;
      if (previous && previous !== prefix) {
        await askDelete(c.var.db, previous, `imported version ${body.version} replaced it`);
        deleteAskedLater(c.executionCtx, c.var.db, c.env.MEDIA, previous);
      }
      return c.json({ changed: true }, 200);
    },
  )
  // ---- ads ------------------------------------------------------------------------------------
  .openapi(
    createRoute({
      method: "get",
      path: "/api/v1/admin/import/ads/{id}",
      tags,
      security,
      summary: "What an import already wrote for an ad",
      request: { params: AdParams },
      responses: {
        200: ok(z.object({ ad: z.object({ type: z.string(), status: z.string(), assetKey: z.string().nullable(), expiresAt: z.number() }).nullable() }), "state"),
        ...refused(400, 401),
      },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const row = await c.env.DB.prepare("SELECT type, status, asset_key, expires_at FROM ads WHERE id = ?")
        .bind(id)
        .first<{ type: string; status: string; asset_key: string | null; expires_at: number }>();
      return c.json({ ad: row ? { type: row.type, status: row.status, assetKey: row.asset_key, expiresAt: row.expires_at } : null }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "put",
      path: "/api/v1/admin/import/ads/{id}/image",
      tags,
      security,
      summary: "Upload an image ad's image (recognised by content)",
      request: { params: AdParams, ...rawBody("the image") },
      responses: { 200: ok(z.object({ ext: z.string(), key: z.string() }), "stored"), ...refused(400, 401, 413), ...lengthRequired },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const body = await boundedBody(c, maxBytes(c.env.MAX_IMAGE_BYTES, 10 * 1024 * 1024));
      if (body instanceof Response) return body;
      const kind = sniffImage(new Uint8Array(body.slice(0, 64)));
      if (!kind) return refuse(c, 400, "image: not a PNG, JPEG, GIF or WebP image");
      const key = keys.adImageKey(id, kind.ext);
      await c.env.MEDIA.put(key, body, { httpMetadata: { contentType: kind.contentType } });
      return c.json({ ext: kind.ext, key }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/api/v1/admin/import/ads/{id}/hls/{version}",
      tags,
      security,
      summary: "Files already uploaded for an imported HLS version of a FILM ad",
      request: { params: AdParams.extend({ version: ImportVersion }) },
      responses: { 200: ok(z.object({ files: z.array(z.object({ name: z.string(), size: z.number() })) }), "files"), ...refused(400, 401) },
    }),
    async (c) => {
      const { id, version } = c.req.valid("param");
      return c.json({ files: await listFiles(c.env.MEDIA, keys.adOutputPrefix(id, version)) }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "put",
      path: "/api/v1/admin/import/ads/{id}/hls/{version}/{file}",
      tags,
      security,
      summary: "Upload one file of a FILM ad's old single-rendition HLS",
      request: { params: AdParams.extend({ version: ImportVersion, file: HlsFile }), ...rawBody("the file") },
      responses: { 200: ok(z.object({ key: z.string(), size: z.number() }), "stored"), ...refused(400, 401, 413), ...lengthRequired },
    }),
    async (c) => {
      const { id, version, file } = c.req.valid("param");
      return putHlsFile(c, keys.adOutputPrefix(id, version), file);
    },
  )
  .openapi(
    createRoute({
      method: "put",
      path: "/api/v1/admin/import/ads/{id}",
      tags,
      security,
      summary: "Create or replace an ad with its old id, type, expiry and uploaded image or HLS version",
      request: { params: AdParams, body: { content: { "application/json": { schema: ImportAd } }, required: true } },
      responses: { 200: ok(Changed, "written"), ...refused(400, 401, 409, 413) },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const a = c.req.valid("json");
      const db = c.env.DB;
      const was = await db.prepare("SELECT type, status, asset_key, expires_at, created_at FROM ads WHERE id = ?").bind(id).first<{
        type: string;
        status: string;
        asset_key: string | null;
        expires_at: number;
        created_at: number;
      }>();
      let row: { assetKey: string; contentType: string; hlsPrefix: string | null; duration: number | null; renditions: string | null };
      if (a.hls) {
        const prefix = keys.adOutputPrefix(id, a.hls.version);
        if (was && was.asset_key === prefix + keys.MASTER_PLAYLIST && was.type === a.type && was.expires_at === a.expiresAt && was.created_at === a.createdAt && was.status === "ready") {
          return c.json({ changed: false }, 200);
        }
        const done = await finishHls(c.env.MEDIA, prefix, a.hls.rendition);
        if ("reason" in done) return refuse(c, 409, done.reason);
        row = { assetKey: done.masterKey, contentType: "application/vnd.apple.mpegurl", hlsPrefix: prefix, duration: done.duration, renditions: JSON.stringify(done.renditions) };
      } else {
        const key = keys.adImageKey(id, a.image!.ext);
        const head = await c.env.MEDIA.head(key);
        if (!head) return refuse(c, 409, "image: upload it first (PUT …/image)");
        if (was && was.asset_key === key && was.type === a.type && was.expires_at === a.expiresAt && was.created_at === a.createdAt && was.status === "ready") {
          return c.json({ changed: false }, 200);
        }
        row = { assetKey: key, contentType: head.httpMetadata?.contentType ?? "application/octet-stream", hlsPrefix: null, duration: null, renditions: null };
      }
      await db
        .prepare(
          `INSERT INTO ads (id, type, status, asset_key, content_type, source_key, hls_prefix, job_id, duration, renditions, expires_at, created_at)
           VALUES (?1, ?2, 'ready', ?3, ?4, NULL, ?5, NULL, ?6, ?7, ?8, ?9)
           ON CONFLICT (id) DO UPDATE SET type = excluded.type, status = 'ready', asset_key = excluded.asset_key, content_type = excluded.content_type,
             hls_prefix = excluded.hls_prefix, job_id = NULL, duration = excluded.duration, renditions = excluded.renditions,
             expires_at = excluded.expires_at, created_at = excluded.created_at`,
        )
        .bind(id, a.type, row.assetKey, row.contentType, row.hlsPrefix, row.duration, row.renditions, a.expiresAt, a.createdAt)
        .run();
      return c.json({ changed: true }, 200);
    },
  );
