import { z } from "@hono/zod-openapi";
import { JobKind, JobStatus } from "../../schema/enums";
import type { jobs } from "../../schema/tables";

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export const JobView = z
  .object({
    id: z.string(),
    kind: JobKind,
    target: z.union([z.object({ filmId: z.string(), route: z.string(), episode: z.string() }), z.object({ adId: z.string() })]),
    status: JobStatus,
    progress: z.number(),
    attempts: z.number(),
    error: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
    startedAt: z.string().nullable(),
    finishedAt: z.string().nullable(),
  })
  .openapi("Job");
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
