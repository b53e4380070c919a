import { eq } from "drizzle-orm";
import type { DrizzleD1Database } from "drizzle-orm/d1";
import type { JobUrls } from "../../schema/jobs";
import { type Grant, signGrant } from "../../schema/signing";
import { jobs } from "../../schema/tables";
import type { Env } from "../env";
import { config } from "../config";
import { requireSigningSecret } from "../lib/secrets";
import { ACTIVE_STATUSES } from "./targets";

/** Largest single output file the transcoder may PUT (a segment, a playlist, the poster frame). */
export const MAX_OUTPUT_OBJECT_BYTES = 512 * 1024 * 1024;

export const INTERNAL_OBJECTS_PATH = "/api/v1/internal/objects/";

/**
 * Signed URLs for one job: GET its source, PUT anything under its own output prefix. Both name the
 * job, so they die with it (jobGrantRefusal), not only when they expire.
 */
export async function mintJobUrls(env: Env, job: { id: string; sourceKey: string; outputPrefix: string }, now = Date.now()): Promise<JobUrls> {
  const { jobUrlTtlSeconds, publicBaseUrl } = config(env);
  const secret = requireSigningSecret(env);
  const exp = Math.floor(now / 1000) + jobUrlTtlSeconds;
  const base = `${publicBaseUrl}${INTERNAL_OBJECTS_PATH}`;
  const sourceToken = await signGrant(secret, { u: "job-source", m: "GET", k: job.sourceKey, e: exp, j: job.id });
  const outputToken = await signGrant(secret, { u: "job-output", m: "PUT", p: job.outputPrefix, e: exp, s: MAX_OUTPUT_OBJECT_BYTES, j: job.id });
  return {
    source: `${base}${job.sourceKey}?token=${sourceToken}`,
    outputBase: `${base}${job.outputPrefix}`,
    outputToken,
    // Epoch milliseconds, like every other time in the job shapes.
    expiresAt: exp * 1000,
  };
}

/**
 * null while the job a verified job grant names may still use it: queued or running (not complete,
 * failed, superseded by a newer upload, or deleted with its target), and the grant's key or prefix
 * still the job's own. Otherwise why not (a 403). One lookup by primary key.
 */
export async function jobGrantRefusal(db: DrizzleD1Database, grant: Grant): Promise<string | null> {
  if (typeof grant.j !== "string") return "token names no job";
  const job = await db
    .select({ status: jobs.status, sourceKey: jobs.sourceKey, outputPrefix: jobs.outputPrefix })
    .from(jobs)
    .where(eq(jobs.id, grant.j))
    .get();
  if (!job) return `token: job ${grant.j} no longer exists`;
  if (!(ACTIVE_STATUSES as readonly string[]).includes(job.status)) return `token: job ${grant.j} is ${job.status}`;
  const own = grant.u === "job-source" ? grant.k === job.sourceKey : grant.u === "job-output" && grant.p === job.outputPrefix;
  if (!own) return `token: does not name job ${grant.j}'s own ${grant.u === "job-source" ? "source" : "output prefix"}`;
  return null;
}
