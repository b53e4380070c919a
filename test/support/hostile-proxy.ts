// A hostile network for the fault tests: an HTTP proxy between two real parts (the transcoder and the
// edge, or the edge's bridge and the transcoder's intake) that records every request and, as the test
// decides per request, forwards it, holds it, or answers in the target's place (an outage, a lost answer).
// The parts themselves are untouched: only what travels between them is.
import { type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse, createServer, request as httpRequest } from "node:http";
import { freePort } from "../../scripts/harness/ports";

export interface Seen {
  method: string;
  /** Path and query, as received. */
  url: string;
  path: string;
  body: Buffer;
  /** What the sender got back (the target's status when forwarded), once answered. */
  status?: number;
  /** The target's answer, when forwarded. */
  answer?: Buffer;
  forwarded: boolean;
}

/**
 * What to do with a request: forward it (optionally after `hold` resolves), answer it here instead, or
 * forward it and then answer the sender something else (the target acted; its answer was lost).
 */
export type Verdict =
  | { kind: "forward"; hold?: Promise<unknown> }
  | { kind: "refuse"; status: number; reason: string }
  | { kind: "forward-then-refuse"; status: number; reason: string };

export interface HostileProxy {
  url: string;
  port: number;
  /** Where requests go; set once the target's port is known. */
  target: string;
  seen: Seen[];
  decide: (req: Seen) => Verdict | Promise<Verdict>;
  close(): Promise<void>;
}

const forward = (): Verdict => ({ kind: "forward" });

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

/** One connection per forwarded request: a pooled one may have been closed by the dev server while idle. */
function send(target: string, method: string, url: string, headers: IncomingHttpHeaders, body: Buffer): Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }> {
  const to = new URL(url, target);
  const out = { ...headers, host: to.host, "content-length": String(body.length) };
  delete out["transfer-encoding"];
  delete out.connection;
  return new Promise((resolve, reject) => {
    const req = httpRequest(to, { method, headers: out, agent: false }, (res) => {
      readBody(res).then((b) => resolve({ status: res.statusCode ?? 502, headers: res.headers, body: b }), reject);
    });
    req.on("error", reject);
    req.end(body);
  });
}

// Every answer closes its connection, so no client ever writes on a socket the proxy is closing.
function answer(res: ServerResponse, status: number, reason: string) {
  const body = JSON.stringify({ reason });
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(body), connection: "close" });
  res.end(body);
}

export async function startHostileProxy(target = ""): Promise<HostileProxy> {
  const port = await freePort();
  const proxy: HostileProxy = {
    url: `http://127.0.0.1:${port}`,
    port,
    target,
    seen: [],
    decide: forward,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
  const server: Server = createServer(async (req, res) => {
    const seen: Seen = { method: req.method ?? "GET", url: req.url ?? "/", path: (req.url ?? "/").split("?")[0]!, body: Buffer.alloc(0), forwarded: false };
    proxy.seen.push(seen);
    try {
      seen.body = await readBody(req);
      const verdict = await proxy.decide(seen);
      if (verdict.kind === "refuse") {
        seen.status = verdict.status;
        return answer(res, verdict.status, verdict.reason);
      }
      if (verdict.kind === "forward") await verdict.hold;
      const got = await send(proxy.target, seen.method, seen.url, req.headers, seen.body);
      seen.forwarded = true;
      seen.answer = got.body;
      if (verdict.kind === "forward-then-refuse") {
        seen.status = verdict.status;
        return answer(res, verdict.status, verdict.reason);
      }
      seen.status = got.status;
      const headers = { ...got.headers };
      delete headers["transfer-encoding"];
      delete headers.connection;
      res.writeHead(got.status, { ...headers, "content-length": String(got.body.length), connection: "close" });
      res.end(got.body);
    } catch (e) {
      seen.status = 502;
      answer(res, 502, `hostile proxy: ${(e as Error).message}`);
    }
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return proxy;
}
