// Registering an uploaded source as a job: the step shared by the multipart form routes and the
// signed multipart "complete". The object is already in R2; this writes the job and its target in
// one D1 batch and only then puts the message on the Queue, so the transcoder never gets a job the
// database does not know.
import { and, eq, inArray, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { DrizzleD1Database } from "drizzle-orm/d1";
import type { JobMessage } from "../../schema/jobs";
import { ads, episodes, jobs } from "../../schema/tables";
import type { Env } from "../env";
import { ApiError } from "../lib/errors";
import { askDelete, cleanupLater, deleteAskedLater } from "../lib/storage";
import { markFailed } from "./outcomes";
import { ACTIVE_STATUSES, type JobTarget, filmExists, outputPrefixFor, sourceKeyFor } from "./targets";

type Batch = [BatchItem<"sqlite">, ...BatchItem<"sqlite">[]];

/**
 * Writes the job (queued) and its target (episode processing / ad processing) in one batch, with
 * `extra` statements that must commit with them, then queues the job. A newer upload of an
 * episode supersedes its jobs still queued or running; their sources and partial outputs go.
 */
export async function registerJob(
  env: Env,
  db: DrizzleD1Database,
  ctx: { waitUntil(p: Promise<unknown>): void },
  target: JobTarget,
  jobId: string,
  extra: BatchItem<"sqlite">[] = [],
): Promise<JobMessage> {
  const now = Date.now();
  const message: JobMessage = {
    v: 1,
    jobId,
    kind: target.kind,
    sourceKey: sourceKeyFor(target, jobId),
    outputPrefix: outputPrefixFor(target, jobId),
    createdAt: now,
  };
  const jobRow = {
    id: jobId,
    kind: target.kind,
    status: "queued" as const,
    sourceKey: message.sourceKey,
    outputPrefix: message.outputPrefix,
    createdAt: now,
    updatedAt: now,
  };

  let superseded: { id: string; sourceKey: string; outputPrefix: string }[] = [];
  let batch: Batch;
  if (target.kind === "episode") {
    if (!(await filmExists(db, target.filmId))) throw new ApiError(404, `film ${target.filmId} not found`);
    const sameEpisode = and(eq(jobs.filmId, target.filmId), eq(jobs.route, target.route), eq(jobs.episode, target.episode));
    superseded = await db
      .select({ id: jobs.id, sourceKey: jobs.sourceKey, outputPrefix: jobs.outputPrefix })
      .from(jobs)
      .where(and(sameEpisode, inArray(jobs.status, [...ACTIVE_STATUSES])))
      .all();
    batch = [
      db.insert(jobs).values({ ...jobRow, filmId: target.filmId, route: target.route, episode: target.episode, filmState: target.state ?? null }),
      ...(superseded.length > 0
        ? [
            db
              .update(jobs)
              .set({ status: "superseded", error: `superseded by job ${jobId}`, finishedAt: now, updatedAt: now })
              .where(and(inArray(jobs.id, superseded.map((j) => j.id)), inArray(jobs.status, [...ACTIVE_STATUSES]))),
            ...superseded.map((old) => askDelete(db, old.outputPrefix, `output of job ${old.id}, superseded by ${jobId}`)),
          ]
        : []),
      db
        .insert(episodes)
        .values({
          filmId: target.filmId,
          route: target.route,
          episode: target.episode,
          status: "processing",
          jobId,
          sourceKey: message.sourceKey,
          createdAt: now,
          updatedAt: now,
        })
        .onConflictDoUpdate({
          target: [episodes.filmId, episodes.route, episodes.episode],
          // A ready episode keeps playing its current version until the new one is complete.
          set: {
            jobId,
            sourceKey: message.sourceKey,
            updatedAt: now,
            status: sql`CASE WHEN ${episodes.status} = 'ready' THEN 'ready' ELSE 'processing' END`,
          },
        }),
      ...extra,
    ];
  } else {
    batch = [
      db.insert(ads).values({
        id: target.adId,
        type: "FILM",
        status: "processing",
        sourceKey: message.sourceKey,
        jobId,
        expiresAt: target.expiresAt,
        createdAt: now,
        origin: target.origin ?? "upload",
      }),
      db.insert(jobs).values({ ...jobRow, adId: target.adId }),
      ...extra,
    ];
  }
  await db.batch(batch);

  for (const old of superseded) {
    deleteAskedLater(ctx, db, env.MEDIA, old.outputPrefix);
    cleanupLater(ctx, `source of superseded job ${old.id}`, () => env.MEDIA.delete(old.sourceKey));
  }

  try {
    await env.TRANSCODE_JOBS.send(message, { contentType: "json" });
  } catch (e) {
    // The job can never run without its message: say so where the admin looks.
    const error = `could not queue the transcode job: ${String(e)}`;
    await markFailed(db, { id: jobId, kind: target.kind, adId: target.kind === "ad" ? target.adId : null }, error);
    throw new ApiError(503, error);
  }
  return message;
}
