// Object deletes that survive a failing R2: the ask is written with the rows (pending_deletes), carried
// out at once, and finished by the cron when R2 failed part-way; objects added under the prefix after
// the ask are kept.
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import worker from "../../edge/index";
import { ASK_GRACE_MS } from "../../edge/lib/storage";
import { BASE, admin, bearer, count, createFilm, keysUnder, rows } from "./upload-support";

/** The real bucket, except that deleting fails: R2 having a bad minute. */
function failingDeletes(bucket: R2Bucket): R2Bucket {
  return new Proxy(bucket, {
    get(target, prop) {
      if (prop === "delete") return () => Promise.reject(new Error("R2 is unavailable (test)"));
      const v = Reflect.get(target, prop);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
}

async function callWith(media: R2Bucket, path: string, init: RequestInit) {
  const ctx = createExecutionContext();
  const res = await worker.fetch(new Request(`${BASE}${path}`, init) as Request<unknown, IncomingRequestCfProperties>, { ...env, MEDIA: media }, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

async function runCron(at: number) {
  await worker.scheduled(createScheduledController({ scheduledTime: new Date(at), cron: "*/10 * * * *" }), env);
}

async function episodeWithObjects(filmId: string, episode: string) {
  const prefix = `films/${filmId}/episodes/line1/${episode}/`;
  const now = Date.now();
  await env.DB.prepare("INSERT INTO episodes (film_id, route, episode, status, created_at, updated_at) VALUES (?, 'line1', ?, 'failed', ?, ?)").bind(filmId, episode, now, now).run();
  for (const f of ["source/a", "hls/j1/master.m3u8", "hls/j1/360p/seg_00000.ts"]) await env.MEDIA.put(prefix + f, "x");
  return prefix;
}

const pending = () => rows<{ prefix: string; attempts: number; last_error: string | null; asked_at: number }>("SELECT prefix, attempts, last_error, asked_at FROM pending_deletes ORDER BY prefix");

describe("asked deletes", () => {
  it("a delete that R2 refuses answers 200 pending, keeps the ask, and the cron finishes it", async () => {
    const filmId = await createFilm();
    const prefix = await episodeWithObjects(filmId, "1");
    const res = await callWith(failingDeletes(env.MEDIA), `/api/v1/upload/media/resource/line1/${filmId}/1`, { method: "DELETE", headers: bearer });
    expect(res.status, await res.clone().text()).toBe(200);
    expect(await res.json()).toEqual({ deleted: true, objects: 0, pending: true });
    expect(await count("SELECT count(*) AS n FROM episodes WHERE film_id = ?", filmId)).toBe(0);
    expect(await keysUnder(prefix)).toHaveLength(3);
    const [ask] = (await pending()).filter((p) => p.prefix === prefix);
    expect(ask).toMatchObject({ attempts: 1, last_error: expect.stringMatching(/unavailable/) });

    // Within the grace period the cron leaves it (the request that asked may still be at it)…
    await runCron(ask!.asked_at + 1000);
    expect(await keysUnder(prefix)).toHaveLength(3);
    // …then finishes it.
    await runCron(ask!.asked_at + ASK_GRACE_MS + 1000);
    expect(await keysUnder(prefix)).toEqual([]);
    expect((await pending()).filter((p) => p.prefix === prefix)).toEqual([]);
  });

  it("keeps what was uploaded under the prefix after the ask (the episode uploaded again)", async () => {
    const filmId = await createFilm();
    const prefix = await episodeWithObjects(filmId, "2");
    const res = await callWith(failingDeletes(env.MEDIA), `/api/v1/upload/media/resource/line1/${filmId}/2`, { method: "DELETE", headers: bearer });
    expect(await res.json()).toMatchObject({ pending: true });
    const [ask] = (await pending()).filter((p) => p.prefix === prefix);
    // Past the ask's time on every clock involved.
    while (Date.now() <= ask!.asked_at + 5) await new Promise((r) => setTimeout(r, 10));
    await env.MEDIA.put(prefix + "source/new-upload", "y");
    await runCron(ask!.asked_at + ASK_GRACE_MS + 1000);
    expect(await keysUnder(prefix)).toEqual([prefix + "source/new-upload"]);
  });

  it("a delete that works leaves no ask behind (film, episode, ad)", async () => {
    const filmId = await createFilm();
    const prefix = await episodeWithObjects(filmId, "3");
    const ep = await admin(`/api/v1/upload/media/resource/line1/${filmId}/3`, { method: "DELETE" });
    expect(await ep.json()).toEqual({ deleted: true, objects: 3 });
    await episodeWithObjects(filmId, "4");
    const film = await admin(`/api/v1/upload/media/${filmId}`, { method: "DELETE" });
    expect(await film.json()).toEqual({ id: filmId, deleted: true, objects: 3 });
    expect(await keysUnder(`films/${filmId}/`)).toEqual([]);
    expect((await pending()).filter((p) => p.prefix.startsWith(`films/${filmId}/`))).toEqual([]);
    expect(prefix).toContain(filmId);
  });

  it("an unknown ad's delete asks nothing", async () => {
    const before = (await pending()).length;
    const res = await admin(`/api/v1/admin/ads/${crypto.randomUUID()}`, { method: "DELETE" });
    expect(res.status).toBe(404);
    expect((await pending()).length).toBe(before);
  });
});
