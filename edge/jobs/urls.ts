import type { JobUrls } from "../../schema/jobs";
import { signGrant } from "../../schema/signing";
import type { Env } from "../env";
import { config } from "../config";
import { requireSigningSecret } from "../lib/secrets";

/** Largest single output file the transcoder may PUT (a segment, a playlist, the poster frame). */
export const MAX_OUTPUT_OBJECT_BYTES = 512 * 1024 * 1024;

export const INTERNAL_OBJECTS_PATH = "/api/v1/internal/objects/";

/** Signed URLs for one job: GET its source, PUT anything under its own output prefix. */
export async function mintJobUrls(env: Env, job: { sourceKey: string; outputPrefix: string }, now = Date.now()): Promise<JobUrls> {
  const { jobUrlTtlSeconds, publicBaseUrl } = config(env);
  const secret = requireSigningSecret(env);
  const exp = Math.floor(now / 1000) + jobUrlTtlSeconds;
  const base = `${publicBaseUrl}${INTERNAL_OBJECTS_PATH}`;
  const sourceToken = await signGrant(secret, { m: "GET", k: job.sourceKey, e: exp });
  const outputToken = await signGrant(secret, { m: "PUT", p: job.outputPrefix, e: exp, s: MAX_OUTPUT_OBJECT_BYTES });
  return {
    source: `${base}${job.sourceKey}?token=${sourceToken}`,
    outputBase: `${base}${job.outputPrefix}`,
    outputToken,
    // Epoch milliseconds, like every other time in the job shapes.
    expiresAt: exp * 1000,
  };
}
