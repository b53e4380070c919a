// The intake against a real Redis (no worker running: jobs stay queued for inspection).
import { randomUUID } from "node:crypto";
import { Queue } from "bullmq";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { JobDelivery } from "../../schema/jobs";
import { signRequest } from "../../schema/signing";
import { loadConfig } from "../../transcoder/src/config";
import { locateFfmpeg } from "../../transcoder/src/ffmpeg/locate";
import { redisOptions } from "../../transcoder/src/queue";
import { type Transcoder, startTranscoder } from "../../transcoder/src/service";
import { type RedisServer, startRedis } from "../support/stack";

const SECRET = "intake-test-secret";
let redis: RedisServer;
let t: Transcoder;
let queue: Queue;

function delivery(over: Partial<JobDelivery> = {}): JobDelivery {
  const jobId = randomUUID();
  return {
    v: 1,
    jobId,
    kind: "episode",
    sourceKey: `films/${randomUUID()}/episodes/line1/1/source/${jobId}`,
    outputPrefix: `films/x/episodes/line1/1/hls/${jobId}/`,
    createdAt: Date.now(),
    urls: {
      source: "http://127.0.0.1:1/api/v1/internal/objects/src?token=t",
      outputBase: "http://127.0.0.1:1/api/v1/internal/objects/out/",
      outputToken: "tok",
      expiresAt: Math.floor(Date.now() / 1000) + 3600,
    },
    ...over,
  };
}

async function post(body: string, headers?: Record<string, string>) {
  const h = headers ?? (await signRequest(SECRET, "POST", "/jobs", body));
  const res = await fetch(`${t.intakeUrl}/jobs`, { method: "POST", headers: { ...h, "content-type": "application/json" }, body });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const counts = () => queue.getJobCounts("wait", "active", "delayed", "completed", "failed");
const total = async () => Object.values(await counts()).reduce((a, b) => a + b, 0);

beforeAll(async () => {
  redis = await startRedis();
  const cfg = loadConfig({ SIGNING_SECRET: SECRET, REDIS_URL: redis.url, INTAKE_PORT: "0", QUEUE_NAME: "intake-test" });
  t = await startTranscoder(cfg, await locateFfmpeg(), { worker: false });
  queue = new Queue("intake-test", { connection: redisOptions(redis.url) });
});

afterAll(async () => {
  await queue?.close();
  await t?.stop();
  await redis?.stop();
});

describe("POST /jobs", () => {
  it("queues a signed delivery in BullMQ under the producer's job id (202)", async () => {
    const d = delivery();
    const r = await post(JSON.stringify(d));
    expect(r.status).toBe(202);
    expect(r.body).toMatchObject({ jobId: d.jobId, created: true, state: "waiting" });
    const job = await queue.getJob(d.jobId);
    expect(job?.name).toBe("episode");
    expect(job?.data).toEqual(d);
    expect(job?.opts.attempts).toBe(3);
    expect(job?.opts.backoff).toEqual({ type: "exponential", delay: 30_000 });
  });

  it("treats a redelivery of the same job id as the same job (200, still one job)", async () => {
    const d = delivery();
    const before = await total();
    expect((await post(JSON.stringify(d))).status).toBe(202);
    const again = await post(JSON.stringify({ ...d, urls: { ...d.urls, outputToken: "fresher" } }));
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ jobId: d.jobId, created: false, state: "waiting" });
    // Racing deliveries collapse too.
    const e = delivery();
    const racing = await Promise.all([post(JSON.stringify(e)), post(JSON.stringify(e)), post(JSON.stringify(e))]);
    expect(racing.every((r) => r.status === 200 || r.status === 202)).toBe(true);
    expect(await total()).toBe(before + 2);
  });

  it.each([
    ["no signature", () => ({})],
    ["a forged signature", async (b: string) => ({ ...(await signRequest("wrong-secret", "POST", "/jobs", b)) })],
    ["a stale timestamp", async (b: string) => signRequest(SECRET, "POST", "/jobs", b, Date.now() - 10 * 60 * 1000)],
    ["a signature of another path", async (b: string) => signRequest(SECRET, "POST", "/other", b)],
    ["a signature of another body", async () => signRequest(SECRET, "POST", "/jobs", "{}")],
    ["a signature whose nonce was swapped", async (b: string) => ({ ...(await signRequest(SECRET, "POST", "/jobs", b)), "x-signature-nonce": "AAAAAAAAAAAAAAAAAAAAAA" })],
  ])("refuses %s with 401 {reason} and queues nothing", async (_, headers) => {
    const before = await total();
    const body = JSON.stringify(delivery());
    const r = await post(body, (await headers(body)) as Record<string, string>);
    expect(r.status).toBe(401);
    expect(typeof r.body.reason).toBe("string");
    expect(await total()).toBe(before);
  });

  it("takes a delivery signed with a nonce (every signRequest) and one signed without (an older edge)", async () => {
    const a = JSON.stringify(delivery());
    const withNonce = await signRequest(SECRET, "POST", "/jobs", a);
    expect(withNonce["x-signature-nonce"]).toBeTruthy();
    expect((await post(a, withNonce)).status).toBe(202);
    const b = JSON.stringify(delivery());
    expect((await post(b, await signRequest(SECRET, "POST", "/jobs", b, Date.now(), null))).status).toBe(202);
  });

  it.each([
    ["not JSON", "{nope", /not valid JSON/],
    ["no urls", JSON.stringify({ ...delivery(), urls: undefined }), /body\.urls/],
    ["a bad job id", JSON.stringify(delivery({ jobId: "../../etc" })), /body\.jobId/],
    ["an unknown kind", JSON.stringify({ ...delivery(), kind: "podcast" }), /body\.kind/],
    ["an output prefix without a slash", JSON.stringify(delivery({ outputPrefix: "films/x" })), /body\.outputPrefix/],
    ["a source URL that is no URL", JSON.stringify({ ...delivery(), urls: { ...delivery().urls, source: "nope" } }), /body\.urls\.source/],
  ])("refuses a body with %s: 400 naming the field, nothing queued", async (_, body, reason) => {
    const before = await total();
    const r = await post(body);
    expect(r.status).toBe(400);
    expect(r.body.reason).toMatch(reason);
    expect(await total()).toBe(before);
  });

  it("refuses an oversized body with 413", async () => {
    const body = JSON.stringify({ ...delivery(), pad: "x".repeat(70_000) });
    const r = await post(body);
    expect(r.status).toBe(413);
    expect(r.body.reason).toMatch(/larger than/);
  });

  it("answers other routes with 404/405 {reason}", async () => {
    const a = await fetch(`${t.intakeUrl}/nope`);
    expect(a.status).toBe(404);
    expect(await a.json()).toHaveProperty("reason");
    const b = await fetch(`${t.intakeUrl}/jobs`);
    expect(b.status).toBe(405);
    expect(await b.json()).toHaveProperty("reason");
  });
});

/** GET /healthz, signed as an operator's tool would (SIGNING_SECRET), or with the given headers. */
async function health(headers?: Record<string, string>) {
  const h = headers ?? (await signRequest(SECRET, "GET", "/healthz", ""));
  const res = await fetch(`${t.intakeUrl}/healthz`, { headers: h });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe("GET /healthz and Redis outages", () => {
  it("reports Redis and the ffmpeg found to a signed caller", async () => {
    const r = await health();
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ ok: true, redis: "ok", ffmpeg: { path: "/usr/bin/ffmpeg", from: "system" }, bridge: "push" });
  });

  it.each([
    ["no signature", async () => ({})],
    ["a forged signature", () => signRequest("wrong-secret", "GET", "/healthz", "")],
    ["a stale signature", () => signRequest(SECRET, "GET", "/healthz", "", Date.now() - 10 * 60 * 1000)],
    ["a signature of POST /jobs", () => signRequest(SECRET, "POST", "/jobs", "")],
    ["a signature with its nonce swapped", async () => ({ ...(await signRequest(SECRET, "GET", "/healthz", "")), "x-signature-nonce": "AAAAAAAAAAAAAAAAAAAAAA" })],
  ])("tells a caller with %s only {ok}: no ffmpeg path or version, no Redis state", async (_, headers) => {
    const r = await health(await headers());
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ ok: true });
    const head = await fetch(`${t.intakeUrl}/healthz`, { method: "HEAD" });
    expect(head.status).toBe(200);
  });

  it("answers 503 while Redis is down (so the bridge retries), and queued jobs survive a Redis restart", async () => {
    const kept = delivery();
    expect((await post(JSON.stringify(kept))).status).toBe(202);

    await redis.shutdown();
    const down = await health();
    expect(down.status).toBe(503);
    expect(down.body.redis).toMatch(/^error/);
    expect(await health({})).toEqual({ status: 503, body: { ok: false } });
    const refused = await post(JSON.stringify(delivery()));
    expect(refused.status).toBe(503);
    expect(refused.body.reason).toMatch(/unavailable/);
    await redis.start();

    // Back up on the same port and data: the intake reconnects, the job is still queued.
    await waitUntil(async () => (await fetch(`${t.intakeUrl}/healthz`)).status === 200);
    expect(await (await queue.getJob(kept.jobId))?.getState()).toBe("waiting");
    expect((await post(JSON.stringify(delivery()))).status).toBe(202);
  });
});

async function waitUntil(check: () => Promise<boolean>, ms = 20_000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error("timed out");
}
