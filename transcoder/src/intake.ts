// The bridge's transcoder half: `POST /jobs` (signed by the edge) puts a job in BullMQ; `GET /healthz`
// (details only when signed).
import { type IncomingMessage, type Server, type ServerResponse, createServer } from "node:http";
import type { Queue } from "bullmq";
import type { z } from "zod";
import { JobDelivery } from "../../schema/jobs";
import { NONCE_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, verifyRequest } from "../../schema/signing";
import { log } from "./log";
import { enqueue } from "./queue";

const MAX_BODY_BYTES = 64 * 1024;

export interface Health {
  ok: boolean;
  [k: string]: unknown;
}

export interface IntakeDeps {
  secret: string;
  queue: Queue;
  /** Redis ping and the ffmpeg found, for /healthz. */
  health: () => Promise<Health>;
}

class BodyTooLarge extends Error {}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers["content-length"]);
    if (Number.isFinite(declared) && declared > MAX_BODY_BYTES) {
      req.resume();
      return reject(new BodyTooLarge());
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        req.destroy();
        reject(new BodyTooLarge());
      } else chunks.push(c);
    });
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

function describe(error: z.ZodError): string {
  return error.issues.map((i) => `${["body", ...i.path.map(String)].join(".")}: ${i.message}`).join("; ");
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

async function postJobs(req: IncomingMessage, res: ServerResponse, deps: IntakeDeps, pathname: string): Promise<void> {
  let body: string;
  try {
    body = await readBody(req);
  } catch (e) {
    if (e instanceof BodyTooLarge) return send(res, 413, { reason: `body larger than ${MAX_BODY_BYTES} bytes` });
    throw e;
  }
  const check = await verifyRequest(deps.secret, {
    method: "POST",
    path: pathname,
    body,
    timestamp: header(req, TIMESTAMP_HEADER),
    signature: header(req, SIGNATURE_HEADER),
    nonce: header(req, NONCE_HEADER),
  });
  if (!check.ok) return send(res, 401, { reason: check.reason });

  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return send(res, 400, { reason: "body: not valid JSON" });
  }
  const parsed = JobDelivery.safeParse(json);
  if (!parsed.success) return send(res, 400, { reason: describe(parsed.error) });

  try {
    const r = await enqueue(deps.queue, parsed.data);
    if (r.created) log.info(`intake: job ${parsed.data.jobId} queued`);
    // 202 for a new job; 200 for a redelivery of one BullMQ already holds (nothing new was made).
    return send(res, r.created ? 202 : 200, { jobId: parsed.data.jobId, state: r.state, created: r.created });
  } catch (e) {
    log.warn(`intake: could not queue ${parsed.data.jobId}: ${(e as Error).message}`);
    // Not acked by the bridge: the Queue delivers it again later.
    return send(res, 503, { reason: "the job queue (Redis) is unavailable; try again later" });
  }
}

/**
 * The intake listens on 0.0.0.0 in a container: anyone who reaches it learns 200 or 503 and no
 * more. The ffmpeg path and version, Redis' state and the queue go only to a caller that signs
 * `GET /healthz` with SIGNING_SECRET (signRequest), as the edge signs its deliveries.
 */
async function healthz(req: IncomingMessage, res: ServerResponse, deps: IntakeDeps, pathname: string): Promise<void> {
  const h = await deps.health();
  const signed =
    !!header(req, SIGNATURE_HEADER) &&
    (
      await verifyRequest(deps.secret, {
        method: req.method ?? "GET",
        path: pathname,
        body: "",
        timestamp: header(req, TIMESTAMP_HEADER),
        signature: header(req, SIGNATURE_HEADER),
        nonce: header(req, NONCE_HEADER),
      })
    ).ok;
  return send(res, h.ok ? 200 : 503, signed ? h : { ok: h.ok });
}

export function createIntake(deps: IntakeDeps): Server {
  return createServer((req, res) => {
    const pathname = new URL(req.url ?? "/", "http://intake").pathname;
    const route = `${req.method} ${pathname}`;
    const handle = async () => {
      if (route === "POST /jobs") return postJobs(req, res, deps, pathname);
      if (route === "GET /healthz" || route === "HEAD /healthz") {
        req.resume();
        return healthz(req, res, deps, pathname);
      }
      req.resume();
      if (pathname === "/jobs" || pathname === "/healthz") return send(res, 405, { reason: `${req.method} is not allowed on ${pathname}` });
      return send(res, 404, { reason: `no route for ${route}` });
    };
    handle().catch((e: Error) => {
      log.error(`intake: ${route}: ${e.stack ?? e.message}`);
      if (!res.headersSent) send(res, 500, { reason: "internal error" });
      else res.destroy();
    });
  });
}

export function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve((server.address() as { port: number }).port);
    });
  });
}
