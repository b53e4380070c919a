import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { signRequest } from "../../schema/signing";

const MiB = 1024 * 1024;
const admin = { authorization: "Bearer test-admin-token" };

/** A body of `n` bytes sent without Content-Length (chunked), so only streaming can catch it. */
function chunked(n: number): ReadableStream<Uint8Array> {
  let sent = 0;
  return new ReadableStream({
    pull(ctl) {
      if (sent >= n) return ctl.close();
      const chunk = new Uint8Array(Math.min(64 * 1024, n - sent)).fill(0x20);
      sent += chunk.length;
      ctl.enqueue(chunk);
    },
  });
}

async function filmCount() {
  return (await env.DB.prepare("SELECT count(*) AS n FROM films").first<{ n: number }>())!.n;
}

describe("small bodies (JSON routes and signed callbacks)", () => {
  it("refuses a JSON body over 1 MiB sent without Content-Length: 413 {reason}, nothing created", async () => {
    const before = await filmCount();
    const res = await exports.default.fetch("https://edge.test/api/v1/upload/media/", {
      method: "POST",
      headers: { ...admin, "content-type": "application/json" },
      body: chunked(2 * MiB),
    });
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({ reason: expect.stringContaining("larger than") });
    expect(await filmCount()).toBe(before);
  });

  it("refuses a declared Content-Length over the limit before reading", async () => {
    const res = await exports.default.fetch("https://edge.test/api/v1/admin/uploads", {
      method: "POST",
      headers: { ...admin, "content-type": "application/json", "content-length": String(5 * MiB) },
      body: "x".repeat(5 * MiB),
    });
    expect(res.status).toBe(413);
  });

  it("caps callback bodies whether signed or not (413), and answers an unsigned one 401", async () => {
    const path = `/api/v1/internal/jobs/${crypto.randomUUID()}/progress`;
    const unsigned = await exports.default.fetch(`https://edge.test${path}`, { method: "POST", body: "{}" });
    expect(unsigned.status).toBe(401);
    const unsignedHuge = await exports.default.fetch(`https://edge.test${path}`, { method: "POST", body: chunked(2 * MiB) });
    expect(unsignedHuge.status).toBe(413);
    const headers = await signRequest("test-signing-secret", "POST", path, "{}");
    const huge = await exports.default.fetch(`https://edge.test${path}`, { method: "POST", headers, body: chunked(2 * MiB) });
    expect(huge.status).toBe(413);
    expect(await huge.json()).toHaveProperty("reason");
  });

  it("still accepts a normal JSON body without Content-Length", async () => {
    const res = await exports.default.fetch("https://edge.test/api/v1/upload/media/", {
      method: "POST",
      headers: { ...admin, "content-type": "application/json" },
      body: new Blob([JSON.stringify({ title: "chunked ok", type: "MOVIE", category: "MOVIE_DRAMA", location: "US" })]).stream(),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toHaveProperty("id");
  });
});
