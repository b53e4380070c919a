// Views of the film detail route (edge/views): queued per answer, counted a batch at a time, one per
// viewer per film per UTC day, never twice for a redelivered batch, marks that do not hold the viewer.
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { handleViewsBatch } from "../../edge/views";
import { viewerMark } from "../../edge/views/viewer-mark";
import worker from "../../edge/index";
import { get, insertFilm, utcDay } from "./seed-fixtures";

const A = "/api/v1/affair";
const counters = (id: string) =>
  env.DB.prepare("SELECT total_views, today_views, week_views FROM films WHERE id = ?").bind(id).first<{ total_views: number; today_views: number; week_views: number }>();

async function waitForTotal(id: string, total: number) {
  const until = Date.now() + 20_000;
  for (;;) {
    if ((await counters(id))?.total_views === total) return;
    if (Date.now() > until) throw new Error(`views of ${id} never reached ${total} (now ${JSON.stringify(await counters(id))})`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const from = (ip: string, ua = "test-browser") => ({ headers: { "cf-connecting-ip": ip, "user-agent": ua } });

describe("views", { timeout: 40_000 }, () => {
  it("counts a viewer once per film per day, also when the answer came from the cache", async () => {
    const id = await insertFilm({ title: "Viewed" });
    for (let i = 0; i < 3; i++) expect((await get(`${A}/film_information/${id}`, from("192.0.2.1"))).status).toBe(200);
    await get(`${A}/film_information/${id}`, from("192.0.2.2"));
    // The same address with another browser is another viewer.
    await get(`${A}/film_information/${id}`, from("192.0.2.2", "other-browser"));
    await waitForTotal(id, 3);

    // A cached answer (no handler ran) still counts its viewer.
    const cachedEnv = { ...env, CATALOG_FRESH_SECONDS: "30", CATALOG_STALE_SECONDS: "30" };
    for (const ip of ["192.0.2.3", "192.0.2.4"]) {
      const res = await worker.fetch(new Request(`https://edge.test${A}/film_information/${id}`, from(ip)) as Request<unknown, IncomingRequestCfProperties>, cachedEnv, createExecutionContext());
      expect(res.status).toBe(200);
      await res.text();
    }
    await waitForTotal(id, 5);
    const day = await env.DB.prepare("SELECT views FROM film_views WHERE film_id = ? AND day = ?").bind(id, utcDay(Date.now())).first<{ views: number }>();
    expect(day?.views).toBe(5);
    expect(await counters(id)).toEqual({ total_views: 5, today_views: 5, week_views: 5 });
  });

  it("counts a redelivered batch once, drops what is not a view, and keeps no address in clear", async () => {
    const id = await insertFilm({ title: "Redelivered" });
    const gone = crypto.randomUUID(); // a film deleted before its views were counted
    const today = utcDay(Date.now());
    const views = await Promise.all(
      ["198.51.100.7", "198.51.100.8"].map(async (ip) => ({ filmId: id, day: today, mark: await viewerMark(env.SIGNING_SECRET, today, id, { address: ip, userAgent: "x" }) })),
    );
    const bodies = [...views, { filmId: gone, day: today, mark: "abcdefghijklmnop" }, { filmId: "not-a-film", day: today, mark: "x" }, "junk"];
    const deliver = async () => {
      const batch = createMessageBatch("film-views", bodies.map((body, i) => ({ id: `m${i}`, timestamp: new Date(), attempts: 1, body })));
      const ctx = createExecutionContext();
      await handleViewsBatch(batch, env);
      return getQueueResult(batch, ctx);
    };
    const first = await deliver();
    expect(first.retryBatch.retry).toBe(false);
    expect((await counters(id))?.total_views).toBe(2);
    await deliver();
    expect(await counters(id)).toMatchObject({ total_views: 2, today_views: 2 });

    const marks = await env.DB.prepare("SELECT mark FROM view_marks WHERE film_id = ?").bind(id).all<{ mark: string }>();
    expect(marks.results).toHaveLength(2);
    for (const { mark } of marks.results) expect(mark).toMatch(/^[A-Za-z0-9_-]{22}$/);
    // The mark changes with the day: marks of different days cannot be linked.
    expect(await viewerMark(env.SIGNING_SECRET, "2030-01-02", id, { address: "198.51.100.7", userAgent: "x" })).not.toBe(views[0]!.mark);
  });

  it("the roll-up drops the marks of earlier days", async () => {
    await env.DB.prepare("INSERT INTO view_marks (day, mark, film_id, batch) VALUES ('2001-01-01', 'old-mark-1234', ?, 'b')").bind(crypto.randomUUID()).run();
    const { rollupViews } = await import("../../edge/rollup");
    const { drizzle } = await import("drizzle-orm/d1");
    await rollupViews(drizzle(env.DB), Date.now());
    const left = await env.DB.prepare("SELECT count(*) AS n FROM view_marks WHERE day < ?").bind(utcDay(Date.now())).first<{ n: number }>();
    expect(left?.n).toBe(0);
  });
});
