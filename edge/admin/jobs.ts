import { createRoute, z } from "@hono/zod-openapi";
import { desc, eq } from "drizzle-orm";
import { JobStatus } from "../../schema/enums";
import { JobId } from "../../schema/ids";
import { jobs } from "../../schema/tables";
import { resourceApp } from "../lib/openapi";
import { adminSecurity, refuse, refused } from "../lib/responses";
import { JobView, jobView } from "./job-view";

const security = adminSecurity;

// Decimal digits only, as in the catalog's paging: "1e3", "0x10" or " 5" are refused, not coerced.
const Paging = z.object({
  status: JobStatus.optional(),
  offset: z.string().regex(/^[0-9]{1,7}$/, "must be a whole number from 0 to 9999999").optional(),
  limit: z
    .string()
    .regex(/^[0-9]{1,3}$/, "must be a whole number from 1 to 100")
    .refine((v) => Number(v) >= 1 && Number(v) <= 100, "must be a whole number from 1 to 100")
    .optional(),
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
      if (!row) return refuse(c, 404, `job ${id} not found`);
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
      const { status, offset = "0", limit = "60" } = c.req.valid("query");
      const rows = await c.var.db
        .select()
        .from(jobs)
        .where(status ? eq(jobs.status, status) : undefined)
        .orderBy(desc(jobs.createdAt), desc(jobs.id))
        .limit(Number(limit))
        .offset(Number(offset))
        .all();
      return c.json({ jobs: rows.map(jobView) }, 200);
    },
  );
