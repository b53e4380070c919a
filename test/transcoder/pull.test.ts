// BRIDGE=pull against a local HTTP server implementing the documented Cloudflare Queues pull-consumer
// contract (Cloudflare's API is not ours to run; this stands in for it), with a real Redis.
import { randomUUID } from "node:crypto";
import { type IncomingMessage, type Server, createServer } from "node:http";
import { Queue } from "bullmq";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { JobMessage } from "../../schema/jobs";
import { HttpError } from "../../transcoder/src/errors";
import { loadConfig } from "../../transcoder/src/config";
import { locateFfmpeg } from "../../transcoder/src/ffmpeg/locate";
import { PullBridge } from "../../transcoder/src/pull";
import { redisOptions } from "../../transcoder/src/queue";
import { type Transcoder, startTranscoder } from "../../transcoder/src/service";
import { freePort, type RedisServer, startRedis } from "../support/stack";

const ACCOUNT = "acc123";
const QUEUE_ID = "q456";
const TOKEN = "cf-api-token";

interface Stored {
  id: string;
  body: unknown;
  metadata: Record<string, string>;
  attempts: number;
  visibleAt: number;
  lease?: string;
}

/** The pull/ack contract: leases hide a message for visibility_timeout_ms; ack deletes; retry delays. */
class FakeQueuesApi {
  messages: Stored[] = [];
  acked: string[] = [];
  retried: { id: string; delay: number }[] = [];
  pulls = 0;
  badAuth = 0;
  server: Server;
  base = "";

  constructor() {
    this.server = createServer((req, res) => {
      void this.handle(req).then(([status, body]) => {
        res.writeHead(status, { "content-type": "application/json" });
        res.end(JSON.stringify(body));
      });
    });
  }

  async start() {
    const port = await freePort();
    await new Promise<void>((r) => this.server.listen(port, "127.0.0.1", r));
    this.base = `http://127.0.0.1:${port}/client/v4`;
  }

  send(body: unknown, contentType: "json" | "text" | "bytes" = "json", asObject = false): string {
    const id = randomUUID().replaceAll("-", "");
    let wire: unknown = body;
    if (contentType === "bytes") wire = Buffer.from(JSON.stringify(body)).toString("base64");
    else if (!asObject) wire = typeof body === "string" ? body : JSON.stringify(body);
    this.messages.push({ id, body: wire, metadata: { "CF-Content-Type": contentType }, attempts: 0, visibleAt: 0 });
    return id;
  }

  private async handle(req: IncomingMessage): Promise<[number, unknown]> {
    let text = "";
    for await (const c of req) text += c;
    const m = /^\/client\/v4\/accounts\/([^/]+)\/queues\/([^/]+)\/messages\/(pull|ack)$/.exec(req.url ?? "");
    if (req.method !== "POST" || !m || m[1] !== ACCOUNT || m[2] !== QUEUE_ID) return [404, { success: false, errors: [{ message: "not found" }] }];
    if (req.headers.authorization !== `Bearer ${TOKEN}`) {
      this.badAuth++;
      return [401, { success: false, errors: [{ code: 10000, message: "Authentication error" }] }];
    }
    const body = JSON.parse(text || "{}") as Record<string, unknown>;
    const now = Date.now();
    if (m[3] === "pull") {
      this.pulls++;
      const size = Number(body.batch_size ?? 1);
      const visibility = Number(body.visibility_timeout_ms ?? 30_000);
      const out = this.messages.filter((x) => x.visibleAt <= now).slice(0, size);
      for (const x of out) {
        x.attempts++;
        x.lease = `lease-${randomUUID()}`;
        x.visibleAt = now + visibility;
      }
      const messages = out.map((x) => ({ id: x.id, body: x.body, attempts: x.attempts, lease_id: x.lease, timestamp_ms: now, metadata: x.metadata }));
      return [200, { success: true, errors: [], messages: [], result: { message_backlog_count: this.messages.length, messages } }];
    }
    const acks = (body.acks ?? []) as { lease_id: string }[];
    const retries = (body.retries ?? []) as { lease_id: string; delay_seconds?: number }[];
    for (const a of acks) {
      const x = this.messages.find((y) => y.lease === a.lease_id);
      if (!x) continue;
      this.messages = this.messages.filter((y) => y !== x);
      this.acked.push(x.id);
    }
    for (const r of retries) {
      const x = this.messages.find((y) => y.lease === r.lease_id);
      if (!x) continue;
      x.visibleAt = now + (r.delay_seconds ?? 0) * 1000;
      x.lease = undefined;
      this.retried.push({ id: x.id, delay: r.delay_seconds ?? 0 });
    }
    return [200, { success: true, errors: [], messages: [], result: { ackCount: acks.length, retryCount: retries.length, warnings: [] } }];
  }
}

function message(): JobMessage {
  const jobId = randomUUID();
  return { v: 1, jobId, kind: "ad", sourceKey: `ads/${randomUUID()}/source/${jobId}`, outputPrefix: `ads/a/hls/${jobId}/`, createdAt: Date.now() };
}

async function eventually(check: () => Promise<boolean> | boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error("timed out");
}

let api: FakeQueuesApi;
let redis: RedisServer;
let t: Transcoder;
let queue: Queue;

beforeAll(async () => {
  api = new FakeQueuesApi();
  await api.start();
  redis = await startRedis();
  const cfg = loadConfig({
    SIGNING_SECRET: "s",
    REDIS_URL: redis.url,
    INTAKE_PORT: "0",
    QUEUE_NAME: "pull-test",
    BRIDGE: "pull",
    CF_API_BASE: api.base,
    CF_ACCOUNT_ID: ACCOUNT,
    CF_QUEUE_ID: QUEUE_ID,
    CF_API_TOKEN: TOKEN,
    PULL_BATCH_SIZE: "2",
    PULL_INTERVAL_MS: "100",
    PULL_RETRY_DELAY_SECONDS: "1",
    PULL_VISIBILITY_TIMEOUT_MS: "5000",
  });
  t = await startTranscoder(cfg, await locateFfmpeg(), { worker: false });
  queue = new Queue("pull-test", { connection: redisOptions(redis.url) });
});

afterAll(async () => {
  await queue?.close();
  await t?.stop();
  await redis?.stop();
  api?.server.close();
});

describe("pull mode", () => {
  it("moves every message into BullMQ (JSON as text or object, bytes as base64) and acks it", async () => {
    const msgs = [message(), message(), message()];
    const ids = [api.send(msgs[0]), api.send(msgs[1], "json", true), api.send(msgs[2], "bytes")];
    await eventually(() => ids.every((id) => api.acked.includes(id)));
    for (const m of msgs) {
      const job = await queue.getJob(m.jobId);
      expect(job?.data).toEqual(m);
      expect(job?.name).toBe("ad");
    }
    // Batches of PULL_BATCH_SIZE (2): three messages took at least two pulls.
    expect(api.pulls).toBeGreaterThanOrEqual(2);
  });

  it("acks (drops) a message that can never be valid, and a redelivery stays one job", async () => {
    const before = await queue.count();
    const m = message();
    const bad = api.send({ v: 1, jobId: "not-a-uuid" });
    const first = api.send(m);
    await eventually(() => api.acked.includes(bad) && api.acked.includes(first));
    const again = api.send(m);
    await eventually(() => api.acked.includes(again));
    expect(await queue.count()).toBe(before + 1);
  });

  it("retries a message with a delay while Redis is down, and acks it once BullMQ holds it", async () => {
    await redis.shutdown();
    const m = message();
    const id = api.send(m);
    await eventually(() => api.retried.some((r) => r.id === id));
    expect(api.retried.find((r) => r.id === id)?.delay).toBe(1);
    expect(api.acked).not.toContain(id);
    await redis.start();
    await eventually(() => api.acked.includes(id), 30_000);
    expect((await queue.getJob(m.jobId))?.data).toEqual(m);
  });

  it("sends the bearer token; a refused token acks nothing", async () => {
    const wrong = new PullBridge(
      { apiBase: api.base, accountId: ACCOUNT, queueId: QUEUE_ID, apiToken: "nope", batchSize: 5, visibilityTimeoutMs: 1000, intervalMs: 100, retryDelaySeconds: 1 },
      queue,
    );
    const ackedBefore = api.acked.length;
    const err = await wrong.pollOnce().then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(HttpError);
    expect((err as HttpError).status).toBe(401);
    expect(api.badAuth).toBe(1);
    expect(api.acked.length).toBe(ackedBefore);
  });
});
