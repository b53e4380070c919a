// Deleting a film or an episode retires its jobs in the same batch as the rows: a job still queued or
// running stays as a "superseded" row, so a late callback of it finds out and deletes what it
// uploaded after the delete; a finished job goes with its target.
import { and, eq, inArray, notInArray } from "drizzle-orm";
import type { DrizzleD1Database } from "drizzle-orm/d1";
import { jobs } from "../../schema/tables";
import { ACTIVE_STATUSES } from "./targets";

/** The film's jobs, or one episode's when `route` and `episode` are given. */
export type JobScope = { filmId: string; route?: string; episode?: string };

export function retireJobs(db: DrizzleD1Database, scope: JobScope, why: string, now = Date.now()) {
  const inScope =
    scope.route !== undefined && scope.episode !== undefined
      ? and(eq(jobs.filmId, scope.filmId), eq(jobs.route, scope.route), eq(jobs.episode, scope.episode))
      : eq(jobs.filmId, scope.filmId);
  return [
    db
      .update(jobs)
      .set({ status: "superseded", error: why, finishedAt: now, updatedAt: now })
      .where(and(inScope, inArray(jobs.status, [...ACTIVE_STATUSES]))),
    db.delete(jobs).where(and(inScope, notInArray(jobs.status, [...ACTIVE_STATUSES, "superseded"]))),
  ] as const;
}
