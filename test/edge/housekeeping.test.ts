// The cron's housekeeping beside the view roll-up: per-day view counts older than VIEW_HISTORY_DAYS
// go (totals stay on the film), and signed uploads past their expiry are swept (R2 parts freed).
import { createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import worker from "../../edge/index";
import { HISTORY_PRUNE_BATCH, rollupViews } from "../../edge/rollup";
import { drizzle } from "drizzle-orm/d1";
import { DAY_MS, insertFilm, utcDay } from "./seed-fixtures";
import { admin, adminJson, call, createFilm, reasonOf } from "./upload-support";

const NOW = Date.now();
const daysAgo = (n: number) => utcDay(NOW - n * DAY_MS);

async function runCron(at: number, vars: Record<string, string> = {}) {
  const controller = createScheduledController({ scheduledTime: new Date(at), cron: "*/10 * * * *" });
  await worker.scheduled(controller, { ...env, ...vars });
}

async function viewDays(filmId: string): Promise<string[]> {
  const { results } = await env.DB.prepare("SELECT day FROM film_views WHERE film_id = ? ORDER BY day").bind(filmId).all<{ day: string }>();
  return results.map((r) => r.day);
}

async function filmWithDays(ago: number[]) {
  const id = await insertFilm({ title: `history ${ago.join(",")}`, type: "MOVIE", category: "MOVIE_WAR", totalViews: ago.length * 5 });
  await env.DB.batch(ago.map((n) => env.DB.prepare("INSERT INTO film_views (film_id, day, views) VALUES (?, ?, 5)").bind(id, daysAgo(n))));
  return id;
}

describe("view history retention", () => {
  it("keeps VIEW_HISTORY_DAYS of per-day counts (400 by default) and the films' totals", async () => {
    const id = await filmWithDays([500, 401, 399, 3]);
    await runCron(NOW);
    expect(await viewDays(id)).toEqual([daysAgo(399), daysAgo(3)]);
    const film = await env.DB.prepare("SELECT total_views AS total, week_views AS week FROM films WHERE id = ?").bind(id).first<{ total: number; week: number }>();
    expect(film).toEqual({ total: 20, week: 5 });
  });

  it("never keeps less than the ranking window and a day: a smaller setting counts as 8", async () => {
    const id = await filmWithDays([30, 9, 7, 6, 0]);
    await runCron(NOW, { VIEW_HISTORY_DAYS: "2" });
    expect(await viewDays(id)).toEqual([daysAgo(7), daysAgo(6), daysAgo(0)]);
  });

  it("recomputes the week from the days it needs before pruning them, after a long pause", async () => {
    const id = await filmWithDays([12, 10]);
    await env.DB.prepare("UPDATE films SET week_views = 10 WHERE id = ?").bind(id).run();
    // The last run was 13 days ago: days 12 and 10 were in its window; now both left it and are pruned.
    await env.DB.prepare("INSERT INTO meta (key, value) VALUES ('views_rollup_day', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value").bind(daysAgo(13)).run();
    const result = await rollupViews(drizzle(env.DB), NOW, 8);
    expect(result.historyPruned).toBeGreaterThanOrEqual(2);
    expect(await viewDays(id)).toEqual([]);
    expect((await env.DB.prepare("SELECT week_views AS w FROM films WHERE id = ?").bind(id).first<{ w: number }>())?.w).toBe(0);
  });

  it("prunes a long history over several runs, a bounded batch each", async () => {
    const id = await insertFilm({ title: "long history", type: "MOVIE", category: "MOVIE_WAR" });
    // HISTORY_PRUNE_BATCH + 10 days, all older than 400 days.
    await env.DB.prepare(
      `WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ?2)
       INSERT INTO film_views (film_id, day, views) SELECT ?1, date(?3, '-' || (401 + i) || ' days'), 1 FROM n`,
    )
      .bind(id, HISTORY_PRUNE_BATCH + 9, utcDay(NOW))
      .run();
    expect(await viewDays(id)).toHaveLength(HISTORY_PRUNE_BATCH + 10);
    const first = await rollupViews(drizzle(env.DB), NOW);
    expect(first.historyPruned).toBe(HISTORY_PRUNE_BATCH);
    const second = await rollupViews(drizzle(env.DB), NOW);
    expect(second.historyPruned).toBe(10);
    expect(await viewDays(id)).toEqual([]);
  });
});

describe("expired signed uploads", () => {
  interface Created {
    id: string;
    key: string;
    expiresAt: string;
    parts: { number: number; url: string }[];
  }
  async function startUpload(): Promise<Created> {
    const filmId = await createFilm();
    const res = await adminJson("/api/v1/admin/uploads", { target: { kind: "episode", filmId, route: "line1", episode: "1" }, size: 20 * 1024 * 1024, contentType: "video/mp4", partSize: 8 * 1024 * 1024 });
    expect(res.status, await res.clone().text()).toBe(201);
    return (await res.json()) as Created;
  }
  const r2IdOf = async (id: string) => (await env.DB.prepare("SELECT r2_upload_id AS r FROM uploads WHERE id = ?").bind(id).first<{ r: string }>())?.r;

  it("aborts an open upload past its expiry (its R2 parts freed, its rows gone) and keeps one still open", async () => {
    const old = await startUpload();
    const r2Id = (await r2IdOf(old.id))!;
    // A part is stored, so there is something in R2 to free.
    const part = new Uint8Array(8 * 1024 * 1024);
    const u = new URL(old.parts[0]!.url);
    expect((await call(`${u.pathname}${u.search}`, { method: "PUT", body: part })).status).toBe(200);
    const fresh = await startUpload();
    // Sweep as of just after the first one expired, before the second one does.
    await env.DB.prepare("UPDATE uploads SET expires_at = ? WHERE id = ?").bind(NOW - 1000, old.id).run();
    await runCron(NOW);

    expect((await admin(`/api/v1/admin/uploads/${old.id}`)).status).toBe(404);
    expect(await env.DB.prepare("SELECT count(*) AS n FROM upload_parts WHERE upload_id = ?").bind(old.id).first<{ n: number }>()).toEqual({ n: 0 });
    // R2 no longer knows the multipart upload: a part cannot be added to it.
    await expect(env.MEDIA.resumeMultipartUpload(old.key, r2Id).uploadPart(2, "late")).rejects.toThrow();
    // Its part URL is refused by name.
    const late = await call(`${u.pathname}${u.search}`, { method: "PUT", body: part });
    expect(await reasonOf(late, 403)).toMatch(/no longer exists/);

    expect((await admin(`/api/v1/admin/uploads/${fresh.id}`)).status).toBe(200);
  });

  it("forgets a completed upload's row once expired, keeps an unexpired one", async () => {
    const insert = (id: string, expiresAt: number) =>
      env.DB.prepare(
        "INSERT INTO uploads (id, r2_upload_id, key, target, size, part_size, content_type, created_at, expires_at, status) VALUES (?, 'r2', 'films/x/source', '{}', 1, 1, 'video/mp4', ?, ?, 'completed')",
      )
        .bind(id, NOW - 2 * DAY_MS, expiresAt)
        .run();
    const gone = crypto.randomUUID();
    const kept = crypto.randomUUID();
    await insert(gone, NOW - 1);
    await insert(kept, NOW + DAY_MS);
    await runCron(NOW);
    const left = await env.DB.prepare("SELECT id FROM uploads WHERE id IN (?, ?)").bind(gone, kept).all<{ id: string }>();
    expect(left.results.map((r) => r.id)).toEqual([kept]);
  });
});
