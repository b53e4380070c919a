// Films as the admin writes them: the create body, and the writes of create, delete and reindex.
import { z } from "@hono/zod-openapi";
import { and, eq, inArray, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { DrizzleD1Database } from "drizzle-orm/d1";
import { MediaCategory, MediaLocation, MediaType } from "../../schema/enums";
import * as keys from "../../schema/keys";
import { episodes, filmPeople, films, filmViews, uploadParts, uploads } from "../../schema/tables";
import { retireJobs } from "../jobs";
import { type DeletedObjects, askDelete, deleteAskedNow } from "../lib/storage";
import { reindexFilmStatements } from "../catalog";

const Name = z.string().trim().min(1).max(100);

/** `POST /upload/media/` — the seed's fields; "all" values of the filters are not a film's own. */
export const FilmInput = z
  .object({
    title: z.string().trim().min(1).max(200),
    type: MediaType.exclude(["HOME"]),
    category: MediaCategory.exclude(["ALL_CATEGORY"]),
    location: MediaLocation.exclude(["ALL_LOCATION"]),
    state: z.string().max(200).default(""),
    introduction: z.string().max(10_000).default(""),
    language: z.string().max(50).default(""),
    releaseYear: z.number().int().min(0).max(9999).default(0),
    actors: z.array(Name).max(200).default([]),
    directors: z.array(Name).max(200).default([]),
  })
  .openapi("FilmInput");
export type FilmInput = z.infer<typeof FilmInput>;

type Batch = [BatchItem<"sqlite">, ...BatchItem<"sqlite">[]];

/** D1 binds at most 100 parameters per statement: 4 per person row. */
const PEOPLE_PER_INSERT = 25;

/** The film and its people in one batch (the FTS triggers index it as the rows land). */
export async function createFilm(db: DrizzleD1Database, id: string, input: FilmInput, now = Date.now()): Promise<void> {
  const people = [
    ...input.actors.map((name, position) => ({ filmId: id, role: "actor" as const, name, position })),
    ...input.directors.map((name, position) => ({ filmId: id, role: "director" as const, name, position })),
  ];
  const batch: Batch = [
    db.insert(films).values({
      id,
      title: input.title,
      type: input.type,
      category: input.category,
      location: input.location,
      language: input.language,
      releaseYear: input.releaseYear,
      state: input.state,
      introduction: input.introduction,
      createdAt: now,
      updatedAt: now,
    }),
  ];
  for (let i = 0; i < people.length; i += PEOPLE_PER_INSERT) {
    batch.push(db.insert(filmPeople).values(people.slice(i, i + PEOPLE_PER_INSERT)));
  }
  await db.batch(batch);
}

/**
 * Rows first (one batch), then every object under the film's prefix. Jobs still queued or running
 * stay as "superseded" rows so a late callback of theirs deletes what they upload after this; the
 * film's finished jobs go with it. Open signed uploads for the film are aborted.
 */
export async function deleteFilm(db: DrizzleD1Database, bucket: R2Bucket, id: string): Promise<DeletedObjects> {
  const now = Date.now();
  const openUploads = await db
    .select({ id: uploads.id, key: uploads.key, r2UploadId: uploads.r2UploadId })
    .from(uploads)
    .where(and(eq(uploads.status, "open"), sql`json_extract(${uploads.target}, '$.filmId') = ${id}`))
    .all();
  const uploadIds = openUploads.map((u) => u.id);
  await db.batch([
    ...retireJobs(db, { filmId: id }, "film deleted", now),
    db.delete(uploadParts).where(inArray(uploadParts.uploadId, uploadIds)),
    db.delete(uploads).where(inArray(uploads.id, uploadIds)),
    db.delete(filmPeople).where(eq(filmPeople.filmId, id)),
    db.delete(filmViews).where(eq(filmViews.filmId, id)),
    db.delete(episodes).where(eq(episodes.filmId, id)),
    db.delete(films).where(eq(films.id, id)),
    askDelete(db, keys.filmPrefix(id), `film ${id} deleted`),
  ]);
  for (const u of openUploads) {
    await bucket
      .resumeMultipartUpload(u.key, u.r2UploadId)
      .abort()
      .catch(() => {});
  }
  return deleteAskedNow(db, bucket, keys.filmPrefix(id));
}

/** Rewrites the film's people lists and search entries from its rows (what the triggers would write), idempotently. */
export async function reindexFilm(d1: D1Database, id: string): Promise<void> {
  const names = (role: "actor" | "director") =>
    `(SELECT json_group_array(name) FROM (SELECT name FROM film_people WHERE film_id = ?1 AND role = '${role}' ORDER BY position))`;
  await d1.batch([
    d1.prepare(`UPDATE films SET actors = ${names("actor")}, directors = ${names("director")} WHERE id = ?1`).bind(id),
    ...reindexFilmStatements(d1, id),
  ]);
}
