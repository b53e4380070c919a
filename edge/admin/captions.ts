// An episode's captions: put one language's file (WebVTT or SRT, stored as WebVTT), list, delete. The
// bearer check and the catalog version bump (so cached master playlists list the change) are the app's
// (app.ts: every /api/v1/admin/* route). Parsing and validation are in edge/captions (pure).
//
// The list lives in the episode row's `captions` column; each write changes it in one SQL statement that
// rewrites only its own language's entry, so two languages put at once cannot lose each other.

import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { type CaptionEntry, validCaptions } from "../../schema/jobs";
import { EpisodeName, FilmId, RouteName } from "../../schema/ids";
import { captionKey } from "../../schema/keys";
import { defaultLabel, parseCaptions, toCanonicalLang, toVtt, usableLabel } from "../captions";
import type { AppEnv } from "../env";
import { resourceApp } from "../lib/openapi";
import { adminSecurity, reasonDoc, refuse, refused } from "../lib/responses";
import { askDelete, deleteAskedNow } from "../lib/storage";
import { VIEWER_URL_TTL_SECONDS } from "../../schema/signing";
import { boundedBytes } from "../lib/bounded-body";

/** The largest caption file accepted: a long film's subtitles are a few hundred KiB. */
export const MAX_CAPTION_BYTES = 1024 * 1024;

const tags = ["admin"];
const security = adminSecurity;

const Lang = z
  .string()
  .transform(toCanonicalLang)
  .openapi({ param: { name: "lang", in: "path" }, example: "pt-BR", description: "BCP 47 language tag, canonicalised (pt-br → pt-BR)" });
const EpisodeParams = z.object({
  id: FilmId.openapi({ param: { name: "id", in: "path" } }),
  route: RouteName.openapi({ param: { name: "route", in: "path" }, example: "line1" }),
  episode: EpisodeName.openapi({ param: { name: "episode", in: "path" }, example: "1" }),
});
const Label = z
  .string()
  .trim()
  .refine(usableLabel, "1-100 characters, no double quotes or control characters")
  .openapi({ description: "the track's name in players; default: the language's name in itself (English, español)" });

const CaptionSummary = z
  .object({
    lang: z.string(),
    label: z.string(),
    cues: z.number().int(),
    bytes: z.number().int().openapi({ description: "size of the stored WebVTT" }),
    updatedAt: z.string().openapi({ description: "RFC 3339" }),
  })
  .openapi("CaptionSummary");
const CaptionPut = CaptionSummary.extend({ format: z.enum(["vtt", "srt"]).openapi({ description: "what the uploaded file was" }) }).openapi("CaptionPut");

type C = Context<AppEnv>;
const json = <T extends z.ZodType>(schema: T, description: string) => ({ description, content: { "application/json": { schema } } });
const summary = (e: CaptionEntry) => ({ lang: e.lang, label: e.label, cues: e.cues, bytes: e.bytes, updatedAt: new Date(e.updatedAt).toISOString() });
const notFound = (id: string, route: string, episode: string, film: boolean) => (film ? `episode ${route}/${episode} of film ${id} not found` : `film ${id} not found`);

/** The episode's stored captions; null with why when the film or the episode does not exist. */
async function current(c: C, id: string, route: string, episode: string): Promise<CaptionEntry[] | string> {
  const row = await c.env.DB.prepare("SELECT (SELECT 1 FROM films WHERE id = ?1) AS film, (SELECT captions FROM episodes WHERE film_id = ?1 AND route = ?2 AND episode = ?3) AS captions")
    .bind(id, route, episode)
    .first<{ film: number | null; captions: string | null }>();
  if (!row?.film || row.captions === null) return notFound(id, route, episode, !!row?.film);
  return validCaptions(JSON.parse(row.captions));
}

/** The episode's list with its entry of `lang` removed and, when given, `entry` put in (by language). */
const REWRITE = (withEntry: boolean) => `
  UPDATE episodes SET captions = (
    SELECT json_group_array(json(value)) FROM (
      SELECT value FROM (
        SELECT value FROM json_each(episodes.captions) WHERE json_extract(value, '$.lang') IS NOT ?4
        ${withEntry ? "UNION ALL SELECT json(?5) AS value" : ""}
      ) ORDER BY json_extract(value, '$.lang')
    )
  ) WHERE film_id = ?1 AND route = ?2 AND episode = ?3`;
const BEFORE = "SELECT captions FROM episodes WHERE film_id = ?1 AND route = ?2 AND episode = ?3";

/** Runs the rewrite in one batch with a read of the list before it: the entry it replaced (or removed), and whether the row existed. */
async function rewrite(c: C, id: string, route: string, episode: string, lang: string, entry?: CaptionEntry) {
  const args = [id, route, episode, lang, ...(entry ? [JSON.stringify(entry)] : [])];
  const [before, update] = await c.env.DB.batch<{ captions: string }>([c.env.DB.prepare(BEFORE).bind(id, route, episode), c.env.DB.prepare(REWRITE(!!entry)).bind(...args)]);
  const row = before!.results[0];
  return { existed: !!row && update!.meta.changes > 0, previous: row ? validCaptions(JSON.parse(row.captions)).find((e) => e.lang === lang) : undefined };
}

export const adminCaptions = resourceApp()
  .openapi(
    createRoute({
      method: "put",
      path: "/api/v1/admin/films/{id}/episodes/{route}/{episode}/captions/{lang}",
      tags,
      security,
      summary: "Add or replace an episode's captions in one language (WebVTT or SRT, stored as WebVTT)",
      description:
        `The body is the file itself: WebVTT when it starts with a WEBVTT line, else SRT; UTF-8 (a BOM is allowed), at most ${MAX_CAPTION_BYTES} bytes. ` +
        "An episode in any state (captions may come before the transcode is done); kept across new uploads of the episode. 201 when new, 200 when replaced. " +
        "A file that cannot be read is refused with the line at fault, and nothing is stored.",
      request: {
        params: EpisodeParams.extend({ lang: Lang }),
        query: z.object({ label: Label.optional() }),
        body: {
          required: true,
          description: "the caption file",
          content: { "text/vtt": { schema: z.string() }, "application/x-subrip": { schema: z.string() }, "text/plain": { schema: z.string() } },
        },
      },
      responses: {
        200: json(CaptionPut, "replaced"),
        201: json(CaptionPut, "added"),
        400: reasonDoc("bad language tag or label, or a file that cannot be read (the reason names the line)"),
        ...refused(401, 404, 413),
      },
    }),
    async (c) => {
      const { id, route, episode, lang } = c.req.valid("param");
      const label = c.req.valid("query").label ?? defaultLabel(lang);
      const existing = await current(c, id, route, episode);
      if (typeof existing === "string") return refuse(c, 404, existing);
      const body = await boundedBytes(c.req.raw, MAX_CAPTION_BYTES);
      if (!body) return refuse(c, 413, `captions: the file is larger than ${MAX_CAPTION_BYTES} bytes`);
      const parsed = parseCaptions(body);
      if (!parsed.ok) return refuse(c, 400, `captions: ${parsed.reason}`);

      const vtt = new TextEncoder().encode(toVtt(parsed.captions));
      const version = crypto.randomUUID();
      const key = captionKey(id, route, episode, lang, version);
      await c.env.MEDIA.put(key, vtt, { httpMetadata: { contentType: "text/vtt; charset=utf-8" } });
      const entry: CaptionEntry = { lang, label, version, cues: parsed.captions.cues.length, bytes: vtt.length, format: parsed.captions.format, updatedAt: Date.now() };
      const { existed, previous } = await rewrite(c, id, route, episode, lang, entry).catch(async (e: unknown) => {
        await c.env.MEDIA.delete(key);
        throw e;
      });
      if (!existed) {
        // The episode went between the check and the write.
        await c.env.MEDIA.delete(key);
        return refuse(c, 404, notFound(id, route, episode, true));
      }
      // Subtitle playlists handed out before this still name the old file: it stays while they are valid.
      if (previous) await askDelete(c.var.db, captionKey(id, route, episode, lang, previous.version), `captions ${lang} replaced`, { delayMs: VIEWER_URL_TTL_SECONDS * 1000 });
      return c.json({ ...summary(entry), format: parsed.captions.format }, previous ? 200 : 201);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/api/v1/admin/films/{id}/episodes/{route}/{episode}/captions",
      tags,
      security,
      summary: "An episode's captions, by language",
      request: { params: EpisodeParams },
      responses: { 200: json(z.object({ captions: z.array(CaptionSummary) }), "the captions"), ...refused(400, 401, 404) },
    }),
    async (c) => {
      const { id, route, episode } = c.req.valid("param");
      const existing = await current(c, id, route, episode);
      if (typeof existing === "string") return refuse(c, 404, existing);
      return c.json({ captions: existing.map(summary) }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "delete",
      path: "/api/v1/admin/films/{id}/episodes/{route}/{episode}/captions/{lang}",
      tags,
      security,
      summary: "Delete an episode's captions in one language",
      request: { params: EpisodeParams.extend({ lang: Lang }) },
      responses: { 204: { description: "deleted" }, ...refused(400, 401, 404) },
    }),
    async (c) => {
      const { id, route, episode, lang } = c.req.valid("param");
      const existing = await current(c, id, route, episode);
      if (typeof existing === "string") return refuse(c, 404, existing);
      if (!existing.some((e) => e.lang === lang)) return refuse(c, 404, `episode ${route}/${episode} of film ${id} has no captions in ${lang}`);
      const { existed, previous } = await rewrite(c, id, route, episode, lang);
      if (!existed || !previous) return refuse(c, 404, `episode ${route}/${episode} of film ${id} has no captions in ${lang}`);
      const key = captionKey(id, route, episode, lang, previous.version);
      await askDelete(c.var.db, key, `captions ${lang} deleted`);
      await deleteAskedNow(c.var.db, c.env.MEDIA, key);
      return c.body(null, 204);
    },
  );
