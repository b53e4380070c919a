import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";

describe("GET /healthz", () => {
  it("answers 200 with D1 checked", async () => {
    const res = await exports.default.fetch("https://edge.test/healthz");
    expect(res.status).toBe(200);
    const body = await res.json<{ ok: boolean; d1: string }>();
    expect(body).toMatchObject({ ok: true, d1: "ok" });
  });

  it("answers unknown routes with 404 {reason}", async () => {
    const res = await exports.default.fetch("https://edge.test/nope");
    expect(res.status).toBe(404);
    expect(await res.json()).toHaveProperty("reason");
  });
});

describe("GET /api/v1/ping", () => {
  it("answers 200 {ok: true} without touching storage (the benchmarks' trivial route)", async () => {
    const res = await exports.default.fetch("https://edge.test/api/v1/ping");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true });
  });
});
