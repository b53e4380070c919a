// A replayed /urls must not hand fresh grants to the replayer (issue 12, finding 6): each nonce is
// accepted once while its signature could verify; nonces and impression marks are pruned once stale.
import { env } from "cloudflare:workers";
import { drizzle } from "drizzle-orm/d1";
import { afterAll, describe, expect, it } from "vitest";
import { rollupViews } from "../../edge/rollup";
import { MAX_SKEW_MS, NONCE_HEADER, signRequest } from "../../schema/signing";
import { call, consumeQueueInTest, count, createFilm, files, form, postForm, reasonOf } from "./upload-support";

const queue = consumeQueueInTest();
afterAll(() => queue.restore());

const SECRET = "test-signing-secret";

async function queuedJob(): Promise<string> {
  const filmId = await createFilm();
  const res = await postForm(`/api/v1/upload/media/resource/line1/${filmId}/1`, form({}, { bytes: files.mp4(20_000, 3) }));
  expect(res.status, await res.clone().text()).toBe(200);
  return ((await res.json()) as { jobId: string }).jobId;
}

describe("POST /api/v1/internal/jobs/{id}/urls and replays", { timeout: 30_000 }, () => {
  it("answers a fresh nonce, refuses the same signed request again (409) and one without a nonce (403)", async () => {
    const jobId = await queuedJob();
    const path = `/api/v1/internal/jobs/${jobId}/urls`;
    const headers = await signRequest(SECRET, "POST", path, "");
    const first = await call(path, { method: "POST", headers });
    expect(first.status, await first.clone().text()).toBe(200);
    expect(await first.json()).toHaveProperty("outputToken");

    // Byte for byte the same request, seconds later, well inside the 5-minute window.
    for (let i = 0; i < 3; i++) {
      expect(await reasonOf(await call(path, { method: "POST", headers }), 409)).toBe(`${NONCE_HEADER}: already used (a replayed request); sign each request anew`);
    }
    const bare = await signRequest(SECRET, "POST", path, "", Date.now(), null);
    expect(await reasonOf(await call(path, { method: "POST", headers: bare }), 403)).toMatch(/required/);
    // The transcoder signs each call anew: a second refresh works.
    expect((await call(path, { method: "POST", headers: await signRequest(SECRET, "POST", path, "") })).status).toBe(200);
    expect(await count("SELECT count(*) AS n FROM request_nonces WHERE nonce = ?", headers[NONCE_HEADER])).toBe(1);
  });

  it("a request older than the window the nonces cover is refused by its timestamp", async () => {
    const a = await queuedJob();
    const path = `/api/v1/internal/jobs/${a}/urls`;
    const headers = await signRequest(SECRET, "POST", path, "");
    expect((await call(path, { method: "POST", headers })).status).toBe(200);
    const old = await signRequest(SECRET, "POST", path, "", Date.now() - MAX_SKEW_MS - 1000);
    expect(await reasonOf(await call(path, { method: "POST", headers: old }), 403)).toMatch(/stale/);
  });

  it("the roll-up prunes nonces whose signatures are stale and impression marks whose plans expired", async () => {
    const now = Date.now();
    await env.DB.batch([
      env.DB.prepare("INSERT INTO request_nonces (nonce, expires_at) VALUES ('stale-nonce-aaaaaaaaaaa', ?), ('live-nonce-bbbbbbbbbbbb', ?)").bind(now - 1, now + MAX_SKEW_MS),
      env.DB.prepare("INSERT INTO ad_impression_marks (plan, brk, ad_id, expires_at) VALUES ('p-expired', 0, 'a', ?), ('p-live', 0, 'a', ?)").bind(now - 1, now + 3600_000),
    ]);
    await rollupViews(drizzle(env.DB), now);
    expect(await count("SELECT count(*) AS n FROM request_nonces WHERE nonce IN ('stale-nonce-aaaaaaaaaaa', 'live-nonce-bbbbbbbbbbbb')")).toBe(1);
    expect(await count("SELECT count(*) AS n FROM request_nonces WHERE nonce = 'live-nonce-bbbbbbbbbbbb'")).toBe(1);
    expect(await count("SELECT count(*) AS n FROM ad_impression_marks WHERE plan IN ('p-expired', 'p-live')")).toBe(1);
    expect(await count("SELECT count(*) AS n FROM ad_impression_marks WHERE plan = 'p-live'")).toBe(1);
  });
});
