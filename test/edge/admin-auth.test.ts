// Every /api/v1/upload/* and /api/v1/admin/* route wants the admin bearer token; without it,
// nothing happens.
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { app } from "../../edge/app";
import { call, consumeQueueInTest, createFilm, FILM, filmFootprint, files, form, reasonOf, rows } from "./upload-support";

const queue = consumeQueueInTest();
afterAll(() => queue.restore());

let filmId: string;
beforeAll(async () => {
  filmId = await createFilm({ title: "auth film" });
});

const JOB = "00000000-0000-4000-8000-000000000001";
const UPLOAD = "00000000-0000-4000-8000-000000000002";

function routes(): { method: string; path: string; body?: () => BodyInit; json?: boolean }[] {
  return [
    { method: "POST", path: "/api/v1/upload/media/", body: () => JSON.stringify({ ...FILM, title: "must not exist" }), json: true },
    { method: "DELETE", path: `/api/v1/upload/media/${filmId}` },
    { method: "POST", path: `/api/v1/upload/media/search_engine/${filmId}` },
    { method: "POST", path: `/api/v1/upload/media/image/${filmId}`, body: () => form({}, { bytes: files.png() }) },
    { method: "POST", path: `/api/v1/upload/media/resource/line1/${filmId}/1?state=x`, body: () => form({}, { bytes: files.mp4() }) },
    { method: "DELETE", path: `/api/v1/upload/media/resource/line1/${filmId}/1?state=x` },
    {
      method: "POST",
      path: "/api/v1/upload/ad",
      body: () => form({ advertisement_type: "WEB", expired_time: "2099-01-01T00:00:00Z" }, { bytes: files.png() }),
    },
    {
      method: "POST",
      path: "/api/v1/admin/uploads",
      body: () => JSON.stringify({ target: { kind: "episode", filmId, route: "line1", episode: "1" }, size: 100, contentType: "video/mp4" }),
      json: true,
    },
    { method: "GET", path: `/api/v1/admin/uploads/${UPLOAD}` },
    { method: "POST", path: `/api/v1/admin/uploads/${UPLOAD}/complete` },
    { method: "POST", path: `/api/v1/admin/uploads/${UPLOAD}/abort` },
    { method: "GET", path: `/api/v1/admin/jobs/${JOB}` },
    { method: "GET", path: "/api/v1/admin/jobs?status=queued" },
  ];
}

async function everything() {
  return {
    film: await filmFootprint(filmId),
    mustNotExist: await rows("SELECT id FROM films WHERE title = 'must not exist'"),
    uploads: await rows("SELECT id FROM uploads WHERE json_extract(target, '$.filmId') = ?", filmId),
  };
}

// Generous: these move megabytes through workerd, and the suite shares 2 cores.
describe("admin bearer token", { timeout: 30_000 }, () => {
  for (const [label, headers] of [
    ["missing", {}],
    ["wrong", { authorization: "Bearer not-the-token" }],
    ["a prefix of the right one", { authorization: "Bearer test-admin" }],
    ["not a bearer", { authorization: "Basic dGVzdC1hZG1pbi10b2tlbg==" }],
  ] as const) {
    it(`refuses every admin route when the token is ${label}: 401 {reason}, nothing changes`, async () => {
      const before = await everything();
      for (const r of routes()) {
        const res = await call(r.path, {
          method: r.method,
          headers: { ...headers, ...(r.json ? { "content-type": "application/json" } : {}) },
          body: r.body?.(),
        });
        const reason = await reasonOf(res, 401);
        expect(reason, `${r.method} ${r.path}`).toMatch(/bearer/i);
      }
      expect(await everything()).toEqual(before);
      expect(queue.received).toEqual([]);
    });
  }

  it("refuses everything when the deployment has no ADMIN_TOKEN, even an empty bearer", async () => {
    for (const token of ["", "test-admin-token"]) {
      const ctx = createExecutionContext();
      const res = await app.fetch(
        new Request(`https://edge.test/api/v1/admin/jobs`, { headers: { authorization: `Bearer ${token}` } }),
        { ...env, ADMIN_TOKEN: "" },
        ctx,
      );
      await waitOnExecutionContext(ctx);
      expect(await reasonOf(res, 503)).toMatch(/no admin token configured/);
    }
  });

  it("lets the right token through", async () => {
    const res = await call("/api/v1/admin/jobs", { headers: { authorization: "Bearer test-admin-token" } });
    expect(res.status).toBe(200);
  });

  it("does not ask for the bearer on a signed part PUT (its token is the credential) but checks that token", async () => {
    const res = await call(`/api/v1/admin/uploads/${UPLOAD}/parts/1?token=forged.token`, { method: "PUT", body: "x" });
    expect(await reasonOf(res, 403)).toMatch(/token/);
  });
});
