import { createRoute, z } from "@hono/zod-openapi";
import { desc, eq } from "drizzle-orm";
import { JobStatus } from "../../schema/enums";
import { JobId } from "../../schema/ids";
import { jobs } from "../../schema/tables";
import { resourceApp } from "../lib/openapi";
import { adminSecurity, refused } from "./responses";
import { JobView, jobView } from "./job-view";

const security = adminSecurity;

const Paging = z.object({
  status: JobStatus.optional(),
  offset: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(100).default(60),
});

export const adminJobs = resourceApp()
  .openapi(
    createRoute({
      method: "get",
      path: "/api/v1/admin/jobs/{id}",
      tags: ["admin"],
      security,
      summary: "One transcode job: target, status, progress, attempts, error, times",
      request: { params: z.object({ id: JobId }) },
      responses: { 200: { description: "the job", content: { "application/json": { schema: JobView } } }, ...refused(400, 401, 404) },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const row = await c.var.db.select().from(jobs).where(eq(jobs.id, id)).get();
      if (!row) return c.json({ reason: `job ${id} not found` }, 404);
      return c.json(jobView(row), 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/api/v1/admin/jobs",
      tags: ["admin"],
      security,
      summary: "Transcode jobs, newest first, optionally by status",
      request: { query: Paging },
      responses: {
        200: { description: "jobs", content: { "application/json": { schema: z.object({ jobs: z.array(JobView) }) } } },
        ...refused(400, 401),
      },
    }),
    async (c) => {
      const { status, offset, limit } = c.req.valid("query");
      const rows = await c.var.db
        .select()
        .from(jobs)
        .where(status ? eq(jobs.status, status) : undefined)
        .orderBy(desc(jobs.createdAt), desc(jobs.id))
        .limit(limit)
        .offset(offset)
        .all();
      return c.json({ jobs: rows.map(jobView) }, 200);
    },
  );
