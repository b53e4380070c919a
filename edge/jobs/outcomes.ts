// What happens to a job after it is registered: the transcoder's callbacks (progress, complete,
// fail), the bridge's failed deliveries, and a job given up on. Every write is guarded by the state it
// expects (the job still active, the episode still pointing at this job), so a late, repeated or
// superseded callback can never overwrite a newer result.
import { and, eq, inArray, sql } from "drizzle-orm";
import type { DrizzleD1Database } from "drizzle-orm/d1";
import * as keys from "../../schema/keys";
import type { CompleteCallback, FailCallback, ProgressCallback } from "../../schema/jobs";
import { isSafeKey } from "../../schema/signing";
import { ads, episodes, films, jobs } from "../../schema/tables";
import { config } from "../config";
import type { Env } from "../env";
import { askDelete, cleanupLater, deleteAskedLater } from "../lib/storage";
import { ACTIVE_STATUSES } from "./targets";

export type Job = typeof jobs.$inferSelect;
/** What a callback is answered: the job's new state, or why it was refused (`{"reason"}`). */
export type Outcome = { status: 200; body: { id: string; status: string; [more: string]: unknown } } | { status: 400 | 409; reason: string };

const isActive = (job: Job) => (ACTIVE_STATUSES as readonly string[]).includes(job.status);
const refuse = (status: 400 | 409, reason: string): Outcome => ({ status, reason });

type Cleanup = { waitUntil(p: Promise<unknown>): void };

export async function loadJob(db: DrizzleD1Database, id: string): Promise<Job | undefined> {
  return db.select().from(jobs).where(eq(jobs.id, id)).get();
}

/** Whether the job's target still points at it (an episode re-uploaded or deleted no longer does). */
function ownsTarget(job: Job) {
  return job.kind === "episode"
    ? sql`EXISTS (SELECT 1 FROM episodes WHERE film_id = ${job.filmId} AND route = ${job.route} AND episode = ${job.episode} AND job_id = ${job.id})`
    : sql`EXISTS (SELECT 1 FROM ads WHERE id = ${job.adId} AND job_id = ${job.id})`;
}

export async function recordProgress(db: DrizzleD1Database, job: Job, body: ProgressCallback): Promise<Outcome> {
  if (!isActive(job)) return refuse(409, `job ${job.id} is ${job.status}; stop working on it`);
  const now = Date.now();
  const updated = await db
    .update(jobs)
    .set({
      status: "running",
      progress: body.progress,
      attempts: body.attempt !== undefined ? sql`max(${jobs.attempts}, ${body.attempt})` : jobs.attempts,
      startedAt: sql`coalesce(${jobs.startedAt}, ${now})`,
      updatedAt: now,
    })
    .where(and(eq(jobs.id, job.id), inArray(jobs.status, [...ACTIVE_STATUSES])))
    .returning({ id: jobs.id });
  if (updated.length === 0) return refuse(409, `job ${job.id} is no longer active; stop working on it`);
  return { status: 200, body: { id: job.id, status: "running", progress: body.progress } };
}

/** A superseded job's output (and source) is of no use to anyone: mark it and delete both. */
async function discardSuperseded(env: Env, db: DrizzleD1Database, ctx: Cleanup, job: Job): Promise<Outcome> {
  const now = Date.now();
  await db.batch([
    db
      .update(jobs)
      .set({ status: "superseded", finishedAt: sql`coalesce(${jobs.finishedAt}, ${now})`, updatedAt: now })
      .where(and(eq(jobs.id, job.id), inArray(jobs.status, [...ACTIVE_STATUSES, "failed", "superseded"]))),
    askDelete(db, job.outputPrefix, `output of superseded job ${job.id}`),
  ]);
  deleteAskedLater(ctx, db, env.MEDIA, job.outputPrefix);
  cleanupLater(ctx, `source of superseded job ${job.id}`, () => env.MEDIA.delete(job.sourceKey));
  return refuse(409, `job ${job.id} was superseded (a newer upload or a delete replaced its target); its output is discarded`);
}

export async function completeJob(env: Env, db: DrizzleD1Database, ctx: Cleanup, job: Job, body: CompleteCallback): Promise<Outcome> {
  if (job.status === "complete") return { status: 200, body: { id: job.id, status: "complete", changed: false } };
  if (body.outputPrefix !== job.outputPrefix) return refuse(400, `outputPrefix: ${body.outputPrefix} is not this job's prefix ${job.outputPrefix}`);
  const masterKey = job.outputPrefix + body.master;
  const posterKey = body.poster !== undefined ? job.outputPrefix + body.poster : null;
  if (!isSafeKey(masterKey)) return refuse(400, "master: not a safe relative path");
  if (posterKey !== null && !isSafeKey(posterKey)) return refuse(400, "poster: not a safe relative path");
  if (body.renditions.some((r) => !isSafeKey(job.outputPrefix + r.playlist))) return refuse(400, "renditions.playlist: not a safe relative path");
  if (body.renditions.some((r) => r.storyboard !== undefined && !isSafeKey(job.outputPrefix + r.storyboard))) return refuse(400, "renditions.storyboard: not a safe relative path");
  if (job.status === "superseded") return discardSuperseded(env, db, ctx, job);
  if (!(await env.MEDIA.head(masterKey))) return refuse(400, `master: ${body.master} was not uploaded under the job's prefix`);
  if (posterKey !== null && !(await env.MEDIA.head(posterKey))) return refuse(400, `poster: ${body.poster} was not uploaded under the job's prefix`);

  const now = Date.now();
  const owns = ownsTarget(job);
  const markComplete = db
    .update(jobs)
    .set({ status: "complete", progress: 1, error: null, finishedAt: now, updatedAt: now, startedAt: sql`coalesce(${jobs.startedAt}, ${now})` })
    .where(and(eq(jobs.id, job.id), inArray(jobs.status, [...ACTIVE_STATUSES, "failed"]), owns))
    .returning({ id: jobs.id });
  const output = { hlsPrefix: job.outputPrefix, renditions: body.renditions, duration: body.duration };

  let previousPrefix: string | null = null;
  let done: { id: string }[];
  if (job.kind === "episode") {
    const filmId = job.filmId!;
    const episodeWhere = and(eq(episodes.filmId, filmId), eq(episodes.route, job.route!), eq(episodes.episode, job.episode!));
    previousPrefix = (await db.select({ p: episodes.hlsPrefix }).from(episodes).where(episodeWhere).get())?.p ?? null;
    const episodePrefix = keys.episodePrefix(filmId, job.route!, job.episode!);
    const auto = films.autoPosterKey;
    // The film's fallback poster: this frame when it has none or had one from this episode; a
    // frame from the version being replaced must not outlive it.
    const autoPoster =
      posterKey !== null
        ? sql`CASE WHEN ${auto} IS NULL OR substr(${auto}, 1, ${episodePrefix.length}) = ${episodePrefix} THEN ${posterKey} ELSE ${auto} END`
        : previousPrefix
          ? sql`CASE WHEN substr(${auto}, 1, ${previousPrefix.length}) = ${previousPrefix} THEN NULL ELSE ${auto} END`
          : auto;
    // Statements run in order inside the batch: the film and episode checks see the job still
    // owning the episode, and the job row is updated last.
    const [, , jobRows] = await db.batch([
      db
        .update(films)
        .set({ state: job.filmState !== null ? job.filmState : films.state, updatedAt: now, autoPosterKey: autoPoster })
        .where(and(eq(films.id, filmId), owns))
        .returning({ id: films.id }),
      db
        .update(episodes)
        .set({ status: "ready", masterKey, ...output, updatedAt: now })
        .where(and(episodeWhere, eq(episodes.jobId, job.id)))
        .returning({ id: episodes.filmId }),
      markComplete,
    ]);
    done = jobRows;
  } else {
    const [, jobRows] = await db.batch([
      db
        .update(ads)
        .set({ status: "ready", assetKey: masterKey, contentType: "application/vnd.apple.mpegurl", ...output })
        .where(and(eq(ads.id, job.adId!), eq(ads.jobId, job.id)))
        .returning({ id: ads.id }),
      markComplete,
    ]);
    done = jobRows;
  }

  if (done.length === 0) {
    const now2 = await loadJob(db, job.id);
    if (now2?.status === "complete") return { status: 200, body: { id: job.id, status: "complete", changed: false } };
    return discardSuperseded(env, db, ctx, job);
  }

  // Only now, with readers pointed at the new prefix, does the old version go.
  if (previousPrefix && previousPrefix !== job.outputPrefix) {
    await askDelete(db, previousPrefix, `replaced by job ${job.id}`);
    deleteAskedLater(ctx, db, env.MEDIA, previousPrefix);
  }
  if (config(env).deleteSourceAfterTranscode) cleanupLater(ctx, `source ${job.sourceKey}`, () => env.MEDIA.delete(job.sourceKey));
  return { status: 200, body: { id: job.id, status: "complete", changed: true } };
}

export async function failJob(env: Env, db: DrizzleD1Database, ctx: Cleanup, job: Job, body: FailCallback): Promise<Outcome> {
  if (job.status === "failed") return { status: 200, body: { id: job.id, status: "failed", changed: false } };
  if (job.status === "superseded") return discardSuperseded(env, db, ctx, job);
  if (job.status === "complete") return refuse(409, `job ${job.id} is already complete`);
  const now = Date.now();
  const attempts = body.attempt !== undefined ? sql`max(${jobs.attempts}, ${body.attempt})` : jobs.attempts;
  const active = and(eq(jobs.id, job.id), inArray(jobs.status, [...ACTIVE_STATUSES]));
  if (body.retryable) {
    await db.update(jobs).set({ error: body.error, attempts, updatedAt: now }).where(active);
    return { status: 200, body: { id: job.id, status: job.status, retrying: true } };
  }
  await markFailed(db, job, body.error, now, attempts);
  await askDelete(db, job.outputPrefix, `partial output of failed job ${job.id}`);
  deleteAskedLater(ctx, db, env.MEDIA, job.outputPrefix);
  return { status: 200, body: { id: job.id, status: "failed", changed: true } };
}

/** The job failed for good: so does its episode or ad, if it is still waiting for this job. */
export async function markFailed(db: DrizzleD1Database, job: Pick<Job, "id" | "kind" | "adId">, error: string, now = Date.now(), attempts: ReturnType<typeof sql> | typeof jobs.attempts = jobs.attempts) {
  await db.batch([
    db
      .update(jobs)
      .set({ status: "failed", error, attempts, finishedAt: now, updatedAt: now })
      .where(and(eq(jobs.id, job.id), inArray(jobs.status, [...ACTIVE_STATUSES]))),
    job.kind === "episode"
      ? db
          .update(episodes)
          .set({ status: "failed", updatedAt: now })
          .where(and(eq(episodes.jobId, job.id), eq(episodes.status, "processing")))
      : db
          .update(ads)
          .set({ status: "failed" })
          .where(and(eq(ads.id, job.adId!), eq(ads.jobId, job.id))),
  ]);
}

/** A delivery to the transcoder failed and will be retried: shown by the job API while the job waits. */
export async function noteDeliveryFailure(db: DrizzleD1Database, jobId: string, error: string): Promise<void> {
  await db
    .update(jobs)
    .set({ error: error.slice(0, 4000), updatedAt: Date.now() })
    .where(and(eq(jobs.id, jobId), eq(jobs.status, "queued")));
}
