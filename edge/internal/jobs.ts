// The transcoder's callbacks and URL refresh, authenticated by an HMAC signature over the method,
// path, body, a timestamp and a nonce (schema/signing.ts), refused when missing (401), wrong or stale
// (403). A request that mints grants (the URL refresh) must carry a nonce, used once (409 on a replay).
import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { JobId } from "../../schema/ids";
import { CompleteCallback, FailCallback, JobUrls, ProgressCallback } from "../../schema/jobs";
import { NONCE_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, verifyRequest } from "../../schema/signing";
import type { AppEnv } from "../env";
import { type Outcome, completeJob, failJob, loadJob, mintJobUrls, recordProgress } from "../jobs";
import { resourceApp } from "../lib/openapi";
import { firstUseOf } from "../lib/request-nonces";
import { refuse, refused } from "../lib/responses";
import { requireSigningSecret } from "../lib/secrets";

const Ack = z.looseObject({ id: z.string(), status: z.string() });

const answer = (c: Context, r: Outcome) => (r.status === 200 ? c.json(r.body, 200) : refuse(c, r.status, r.reason));

/**
 * `once`: the request hands out grants, so it must carry a nonce; its handler spends the nonce
 * (spendNonce) only when it is about to mint, so a refused request changes nothing.
 */
const signedRequest = (once: boolean) =>
  createMiddleware<AppEnv>(async (c, next) => {
    const secret = requireSigningSecret(c.env);
    // Unsigned callers are turned away before their body is read.
    if (!c.req.header(TIMESTAMP_HEADER) || !c.req.header(SIGNATURE_HEADER)) return refuse(c, 401, "missing signature");
    const check = await verifyRequest(secret, {
      method: c.req.method,
      path: new URL(c.req.url).pathname,
      body: await c.req.text(),
      timestamp: c.req.header(TIMESTAMP_HEADER),
      signature: c.req.header(SIGNATURE_HEADER),
      nonce: c.req.header(NONCE_HEADER),
    });
    if (!check.ok) return refuse(c, check.reason === "missing signature" ? 401 : 403, check.reason);
    if (once && !check.nonce) return refuse(c, 403, `${NONCE_HEADER}: required on a request that mints grants`);
    await next();
  });

/** false when the (verified) nonce of this request was spent before: a replay, to refuse. */
const spendNonce = (c: Context<AppEnv>) => firstUseOf(c.var.db, c.req.header(NONCE_HEADER)!, Number(c.req.header(TIMESTAMP_HEADER)));
const REPLAYED = `${NONCE_HEADER}: already used (a replayed request); sign each request anew`;
const signed = signedRequest(false);
const signedOnce = signedRequest(true);

const Params = z.object({ id: JobId });
const signedHeaders = z.object({
  [SIGNATURE_HEADER]: z.string().optional(),
  [TIMESTAMP_HEADER]: z.string().optional(),
  [NONCE_HEADER]: z.string().optional(),
});

const callback = <T extends z.ZodType>(what: "progress" | "complete" | "fail", schema: T, summary: string) =>
  createRoute({
    method: "post",
    path: `/api/v1/internal/jobs/{id}/${what}`,
    tags: ["internal"],
    summary,
    middleware: [signed] as const,
    request: { params: Params, headers: signedHeaders, body: { required: true, content: { "application/json": { schema } } } },
    responses: { 200: { description: "recorded", content: { "application/json": { schema: Ack } } }, ...refused(400, 401, 403, 404, 409, 503) },
  });

export const internalJobs = resourceApp()
  .openapi(callback("progress", ProgressCallback, "Progress of a job (job → running)"), async (c) => {
    const { id } = c.req.valid("param");
    const job = await loadJob(c.var.db, id);
    if (!job) return refuse(c, 404, `job ${id} not found`);
    return answer(c, await recordProgress(c.var.db, job, c.req.valid("json")));
  })
  .openapi(
    callback("complete", CompleteCallback, "A job's output is uploaded: episode/ad ready in one batch, the previous version deleted after (idempotent)"),
    async (c) => {
      const { id } = c.req.valid("param");
      const job = await loadJob(c.var.db, id);
      if (!job) return refuse(c, 404, `job ${id} not found`);
      return answer(c, await completeJob(c.env, c.var.db, c.executionCtx, job, c.req.valid("json")));
    },
  )
  .openapi(callback("fail", FailCallback, "A job failed: for good (retryable false) or for this attempt"), async (c) => {
    const { id } = c.req.valid("param");
    const job = await loadJob(c.var.db, id);
    if (!job) return refuse(c, 404, `job ${id} not found`);
    return answer(c, await failJob(c.env, c.var.db, c.executionCtx, job, c.req.valid("json")));
  })
  .openapi(
    createRoute({
      method: "post",
      path: "/api/v1/internal/jobs/{id}/urls",
      tags: ["internal"],
      summary: "Fresh signed source/output URLs for a job still active (for a retry after the first expired); each nonce once",
      middleware: [signedOnce] as const,
      request: { params: Params, headers: signedHeaders },
      responses: { 200: { description: "fresh URLs", content: { "application/json": { schema: JobUrls } } }, ...refused(400, 401, 403, 404, 409, 503) },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const job = await loadJob(c.var.db, id);
      if (!job) return refuse(c, 404, `job ${id} not found`);
      if (job.status !== "queued" && job.status !== "running") return refuse(c, 409, `job ${id} is ${job.status}; stop working on it`);
      if (!(await spendNonce(c))) return refuse(c, 409, REPLAYED);
      return c.json(await mintJobUrls(c.env, job), 200);
    },
  );
