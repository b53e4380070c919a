// The small rules around the worker: throttling, failure texts, URL renewal, retries.
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { type Server, createServer } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { JobUrls } from "../../schema/jobs";
import { NONCE_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, verifyRequest } from "../../schema/signing";
import { EdgeClient } from "../../transcoder/src/edge-client";
import { FfmpegError, ForeignUrlError, HttpError, PermanentError, SourceLimitError } from "../../transcoder/src/errors";
import { decodeBody } from "../../transcoder/src/pull";
import { backoffDelay, withRetry } from "../../transcoder/src/retry";
import { JobUrlSource, contentTypeOf, downloadSource, expiresAtMs } from "../../transcoder/src/transfer";
import { describeFailure, throttle } from "../../transcoder/src/worker";

const EDGE = "http://edge";
const urls = (token: string, expiresAt: number): JobUrls => ({
  source: "http://edge/api/v1/internal/objects/src?token=x",
  outputBase: "http://edge/api/v1/internal/objects/out/",
  outputToken: token,
  expiresAt,
});

describe("throttle", () => {
  it("lets the first value through, then at most one per interval", async () => {
    const sent: number[] = [];
    const report = throttle(100, (v) => sent.push(v));
    report(0);
    report(0.1);
    report(0.2);
    await new Promise((r) => setTimeout(r, 120));
    report(0.3);
    report(0.4);
    expect(sent).toEqual([0, 0.3]);
  });
});

describe("describeFailure", () => {
  it("appends ffmpeg's stderr tail and stays within the edge's 4000 characters", () => {
    const short = describeFailure(new FfmpegError("ffmpeg failed: exit 1", "line a\nline b"));
    expect(short).toBe("ffmpeg failed: exit 1\n--- ffmpeg stderr (last lines) ---\nline a\nline b");
    const long = describeFailure(new FfmpegError("boom", `${"x".repeat(5000)}\nTHE LAST LINE`));
    expect(long.length).toBeLessThanOrEqual(4000);
    expect(long.startsWith("boom")).toBe(true);
    expect(long.endsWith("THE LAST LINE")).toBe(true);
  });
});

describe("JobUrlSource", () => {
  it("reads expiry in seconds or milliseconds", () => {
    expect(expiresAtMs(urls("t", 1_900_000_000))).toBe(1_900_000_000_000);
    expect(expiresAtMs(urls("t", 1_900_000_000_000))).toBe(1_900_000_000_000);
  });

  it("refreshes missing or nearly expired URLs, and shares one refresh among concurrent refusals", async () => {
    let refreshes = 0;
    const src = new JobUrlSource(
      undefined,
      async () => {
        refreshes++;
        await new Promise((r) => setTimeout(r, 20));
        return urls(`fresh-${refreshes}`, Date.now() + 3_600_000);
      },
      EDGE,
    );
    expect((await src.get()).outputToken).toBe("fresh-1");
    const stale = await src.get();
    const renewed = await Promise.all([src.renew(stale), src.renew(stale), src.renew(stale)]);
    expect(renewed.map((u) => u.outputToken)).toEqual(["fresh-2", "fresh-2", "fresh-2"]);
    // A refusal of URLs already replaced does not refresh again.
    expect((await src.renew(stale)).outputToken).toBe("fresh-2");
    expect(refreshes).toBe(2);

    const soon = new JobUrlSource(urls("old", Date.now() + 60_000), async () => urls("new", Date.now() + 3_600_000), EDGE);
    expect((await soon.get()).outputToken).toBe("new");
  });

  it.each([
    ["a source on another host", { source: "http://attacker.test/api/v1/internal/objects/src?token=x" }],
    ["a source on another port", { source: "http://edge:8080/api/v1/internal/objects/src?token=x" }],
    ["a source over another scheme", { source: "https://edge/api/v1/internal/objects/src?token=x" }],
    ["a source with the edge as user name", { source: "http://edge@attacker.test/src" }],
    ["a file: source", { source: "file:///etc/passwd" }],
    ["an output base elsewhere", { outputBase: "http://169.254.169.254/latest/" }],
    ["an output base that is no directory", { outputBase: "http://edge/api/v1/internal/objects/out" }],
  ])("refuses %s, as delivered or as refreshed (ForeignUrlError, permanent)", async (_, over) => {
    const bad = { ...urls("t", Date.now() + 3_600_000), ...over };
    const delivered = new JobUrlSource(bad, async () => urls("fresh", Date.now() + 3_600_000), EDGE);
    await expect(delivered.get()).rejects.toThrow(ForeignUrlError);
    const refreshed = new JobUrlSource(undefined, async () => bad, EDGE);
    const e = await refreshed.get().catch((err: Error) => err);
    expect(e).toBeInstanceOf(ForeignUrlError);
    expect(e).toBeInstanceOf(PermanentError);
    expect((e as Error).message).toMatch(/EDGE_URL|directory/);
  });
});

describe("downloadSource against a hostile server at the edge's origin", () => {
  // Plain HTTP faults the real edge never makes (no length, a redirect): what a man in the middle
  // or a misconfigured proxy in front of the edge could answer.
  let server: Server;
  let origin = "";
  const seen: string[] = [];
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "download-"));
    server = createServer((req, res) => {
      seen.push(req.url ?? "");
      if (req.url?.startsWith("/chunked")) {
        // No Content-Length: the cap can only be kept by counting.
        res.writeHead(200, { "content-type": "video/mp4" });
        const chunk = Buffer.alloc(16 * 1024, 7);
        let sent = 0;
        res.on("error", () => {});
        const more = () => {
          let room = true;
          while (sent < 64 && room) {
            sent++;
            room = res.write(chunk);
          }
          if (sent < 64) res.once("drain", more);
          else res.end();
        };
        more();
      } else if (req.url?.startsWith("/redirect")) {
        res.writeHead(302, { location: "http://169.254.169.254/latest/meta-data" }).end();
      } else res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((r) => server.close(() => r()));
    rmSync(dir, { recursive: true, force: true });
  });

  const at = (p: string): JobUrls => ({ source: `${origin}${p}`, outputBase: `${origin}/out/`, outputToken: "t", expiresAt: Date.now() + 3_600_000 });
  const never = async (): Promise<JobUrls> => {
    throw new Error("no refresh expected");
  };

  it("counts the bytes of a source sent without a length, stops past MAX_SOURCE_BYTES and leaves no file", async () => {
    const dest = path.join(dir, "source");
    const e = await downloadSource(new JobUrlSource(at("/chunked"), never, origin), dest, { tries: 3, maxBytes: 100_000 }).catch((err: Error) => err);
    expect(e).toBeInstanceOf(SourceLimitError);
    expect((e as Error).message).toMatch(/MAX_SOURCE_BYTES \(100000 bytes\): more than 100000 bytes arrived/);
    expect(existsSync(dest)).toBe(false);
    // Permanent: one request, no retries.
    expect(seen.filter((u) => u === "/chunked")).toHaveLength(1);
    expect(await downloadSource(new JobUrlSource(at("/chunked"), never, origin), dest, { tries: 1, maxBytes: 2_000_000 })).toBe(64 * 16 * 1024);
  });

  it("does not follow a redirect (ForeignUrlError, one request)", async () => {
    const e = await downloadSource(new JobUrlSource(at("/redirect"), never, origin), path.join(dir, "r"), { tries: 3 }).catch((err: Error) => err);
    expect(e).toBeInstanceOf(ForeignUrlError);
    expect((e as Error).message).toMatch(/redirect \(302\).*not followed/);
    expect(seen.filter((u) => u === "/redirect")).toHaveLength(1);
  });
});

describe("EdgeClient's signed calls", () => {
  it("carry a fresh nonce each, bound into a signature the edge's verifyRequest accepts", async () => {
    // Records what arrives on the wire; the edge's own handling of these calls is tested in test/edge.
    const got: { path: string; body: string; headers: Record<string, string | string[] | undefined> }[] = [];
    const server = createServer((req, res) => {
      let body = "";
      req.on("data", (c: Buffer) => (body += c));
      req.on("end", () => {
        got.push({ path: req.url ?? "", body, headers: req.headers });
        res.writeHead(200, { "content-type": "application/json" }).end("{}");
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    try {
      const client = new EdgeClient(`http://127.0.0.1:${(server.address() as { port: number }).port}`, "edge-secret");
      const id = "6f1c2b8e-0d7a-4c3e-9b52-5a0e4f7d1c11";
      expect(await client.progress(id, { progress: 0.5 })).toBe("sent");
      expect(await client.fail(id, { error: "x", retryable: false })).toBe(true);
      expect(got).toHaveLength(2);
      const nonces = new Set<string>();
      for (const r of got) {
        const one = (n: string) => r.headers[n] as string | undefined;
        const check = await verifyRequest("edge-secret", {
          method: "POST",
          path: r.path,
          body: r.body,
          timestamp: one(TIMESTAMP_HEADER),
          signature: one(SIGNATURE_HEADER),
          nonce: one(NONCE_HEADER),
        });
        expect(check).toEqual({ ok: true, nonce: one(NONCE_HEADER) });
        nonces.add(one(NONCE_HEADER)!);
      }
      expect(nonces.size).toBe(2);
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});

describe("transfers", () => {
  it("labels outputs with the content types the players expect", () => {
    expect(contentTypeOf("master.m3u8")).toBe("application/vnd.apple.mpegurl");
    expect(contentTypeOf("360p/seg_00001.ts")).toBe("video/mp2t");
    expect(contentTypeOf("poster.jpg")).toBe("image/jpeg");
  });

  it("retries what is worth it, with growing delays, and gives up on the rest at once", async () => {
    expect(backoffDelay(1, 100, 1000)).toBeGreaterThanOrEqual(75);
    expect(backoffDelay(1, 100, 1000)).toBeLessThanOrEqual(125);
    expect(backoffDelay(10, 100, 1000)).toBeLessThanOrEqual(1250);

    let calls = 0;
    const ok = await withRetry(
      async () => {
        if (++calls < 3) throw new HttpError(503, "PUT x");
        return "done";
      },
      { baseMs: 1, retryable: (e) => !(e instanceof HttpError) || e.retryable },
    );
    expect([ok, calls]).toEqual(["done", 3]);

    calls = 0;
    await expect(
      withRetry(
        async () => {
          calls++;
          throw new HttpError(400, "PUT x");
        },
        { baseMs: 1, retryable: (e) => !(e instanceof HttpError) || e.retryable },
      ),
    ).rejects.toThrow("HTTP 400");
    expect(calls).toBe(1);
  });
});

describe("decodeBody (pull mode)", () => {
  const msg = { v: 1, jobId: "j" };
  it("reads JSON sent as text, as an object, or as base64 bytes", () => {
    expect(decodeBody({ lease_id: "l", body: JSON.stringify(msg), metadata: { "CF-Content-Type": "json" } })).toEqual(msg);
    expect(decodeBody({ lease_id: "l", body: msg })).toEqual(msg);
    expect(decodeBody({ lease_id: "l", body: Buffer.from(JSON.stringify(msg)).toString("base64"), metadata: { "CF-Content-Type": "bytes" } })).toEqual(msg);
    expect(decodeBody({ lease_id: "l", body: "plain words" })).toBe("plain words");
  });
});
