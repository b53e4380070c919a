import type { z } from "@hono/zod-openapi";
import { JobView as SharedJobView } from "../../schema/jobs";
import type { jobs } from "../../schema/tables";

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

// The shape lives in schema/jobs.ts (the admin client reads it too); here it is registered for OpenAPI.
export const JobView = SharedJobView.openapi("Job");
export type JobView = z.infer<typeof JobView>;

/** A job row as the admin API shows it: its target by kind, times in RFC 3339. */
export function jobView(row: typeof jobs.$inferSelect): JobView {
  return {
    id: row.id,
    kind: row.kind,
    target: row.kind === "ad" ? { adId: row.adId ?? "" } : { filmId: row.filmId ?? "", route: row.route ?? "", episode: row.episode ?? "" },
    status: row.status,
    progress: row.progress,
    attempts: row.attempts,
    error: row.error,
    createdAt: iso(row.createdAt)!,
    updatedAt: iso(row.updatedAt)!,
    startedAt: iso(row.startedAt),
    finishedAt: iso(row.finishedAt),
  };
}
