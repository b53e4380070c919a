// Popular (today's views first) and ranked (last seven days) with views on different days, the view
// counter of the film detail route, and the scheduled roll-up. This file's D1 is its own, so the
// lists hold only the films made here.
import { createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import worker from "../../edge/index";
import { DAY_MS, get, insertFilm, utcDay } from "./seed-fixtures";

const A = "/api/v1/affair";
const NOW = Date.now();
const TODAY = utcDay(NOW);
const daysAgo = (n: number) => utcDay(NOW - n * DAY_MS);

/** A film with daily views (film_views rows) and the counters a view would have left on it. */
async function filmWithViews(title: string, category: string, views: Record<number, number>, lastViewDaysAgo?: number) {
  const entries = Object.entries(views).map(([ago, n]) => [Number(ago), n] as const);
  const total = entries.reduce((s, [, n]) => s + n, 0);
  // Counters as the last view left them: the roll-up has not run since, so the week still counts
  // every day that was in the window at that view.
  const last = lastViewDaysAgo ?? Math.min(...entries.map(([ago]) => ago));
  const week = entries.filter(([ago]) => ago - last < 7 && ago >= last).reduce((s, [, n]) => s + n, 0);
  const id = await insertFilm({
    title,
    type: category.startsWith("MOVIE") ? "MOVIE" : "TV_SERIES",
    category,
    totalViews: total,
    weekViews: week,
    todayViews: views[last] ?? 0,
    viewsDay: daysAgo(last),
  });
  await env.DB.batch(
    entries.map(([ago, n]) => env.DB.prepare("INSERT INTO film_views (film_id, day, views) VALUES (?, ?, ?)").bind(id, daysAgo(ago), n)),
  );
  return id;
}

async function runCron(at: number) {
  const controller = createScheduledController({ scheduledTime: new Date(at), cron: "*/10 * * * *" });
  // The handler awaits the roll-up itself (no waitUntil), so its promise is the whole run.
  await worker.scheduled(controller, env);
}

const ids = (films: { id: string }[]) => films.map((f) => f.id);

describe("popular and ranked with views on different days", () => {
  it("orders popular by today's views first, then total; ranked by the last seven days, then total", async () => {
    // MOVIE_HORROR: the films of this test only.
    const old = await filmWithViews("old hit", "MOVIE_HORROR", { 8: 50, 9: 50 }); // outside the window, most total views
    const week = await filmWithViews("this week", "MOVIE_HORROR", { 2: 6, 3: 4 }); // 10 in the window
    const edge = await filmWithViews("edge of the week", "MOVIE_HORROR", { 6: 12 }); // 6 days ago: still in
    const today = await filmWithViews("today", "MOVIE_HORROR", { 0: 2, 1: 1 }); // 2 today, 3 in the window
    const yesterday = await filmWithViews("yesterday", "MOVIE_HORROR", { 1: 9 }); // 9 yesterday, counter not yet reset
    const none = await insertFilm({ title: "never viewed", type: "MOVIE", category: "MOVIE_HORROR" });

    await runCron(NOW);

    // Yesterday's today-counter is gone, the days that left the window are out of the week.
    const popular = await get<{ films: { id: string }[] }>(`${A}/popular/category/MOVIE_HORROR`);
    expect(ids(popular.body.films)).toEqual([today, old, edge, week, yesterday, none]);
    const ranked = await get<{ ranked_films: { id: string; popularity: number }[] }>(`${A}/ranked/MOVIE_HORROR`);
    expect(ranked.body.ranked_films.map((f) => [f.id, f.popularity])).toEqual([
      [edge, 12],
      [week, 10],
      [yesterday, 9],
      [today, 3],
      [old, 0],
      [none, 0],
    ]);
    // The whole catalog (ALL_CATEGORY / HOME) agrees.
    expect(ids((await get<{ films: { id: string }[] }>(`${A}/popular/type/HOME`)).body.films).slice(0, 1)).toEqual([today]);
    expect(ids((await get<{ ranked_films: { id: string }[] }>(`${A}/ranked/ALL_CATEGORY`)).body.ranked_films).slice(0, 2)).toEqual([edge, week]);

    // A day later (the cron's next midnight), the day six days ago has left the window too.
    await runCron(NOW + DAY_MS);
    const next = await env.DB.prepare("SELECT id, week_views, today_views FROM films WHERE category = 'MOVIE_HORROR'").all<{ id: string; week_views: number; today_views: number }>();
    const byId = Object.fromEntries(next.results.map((r) => [r.id, [r.week_views, r.today_views]]));
    expect(byId[edge]).toEqual([0, 0]);
    expect(byId[week]).toEqual([10, 0]);
    expect(byId[today]).toEqual([3, 0]);
    expect(byId[old]).toEqual([0, 0]);
  });

  it("counts views through the film detail route into today's and the week's ranking", { timeout: 30_000 }, async () => {
    // TV_SERIES_TW_SERIES: the films of this test only.
    const leader = await filmWithViews("leader", "TV_SERIES_TW_SERIES", { 0: 2, 3: 5 });
    const viewed = await insertFilm({ title: "viewed now", type: "TV_SERIES", category: "TV_SERIES_TW_SERIES" });
    // Three viewers (a viewer counts once a day: test/edge/views.test.ts).
    for (let i = 0; i < 3; i++) expect((await get(`${A}/film_information/${viewed}`, { headers: { "cf-connecting-ip": `203.0.113.${i}` } })).status).toBe(200);
    await waitForViews(viewed, 3);

    const popular = await get<{ films: { id: string }[] }>(`${A}/popular/category/TV_SERIES_TW_SERIES`);
    expect(ids(popular.body.films)).toEqual([viewed, leader]);
    const ranked = await get<{ ranked_films: { id: string; popularity: number }[] }>(`${A}/ranked/TV_SERIES_TW_SERIES`);
    expect(ranked.body.ranked_films.map((f) => [f.id, f.popularity])).toEqual([
      [leader, 7],
      [viewed, 3],
    ]);
    const row = await env.DB.prepare("SELECT views FROM film_views WHERE film_id = ? AND day = ?").bind(viewed, TODAY).first<{ views: number }>();
    expect(row?.views).toBe(3);
  });

  it("a roll-up run twice on the same day changes nothing the second time", async () => {
    await runCron(NOW + 2 * DAY_MS);
    const before = await env.DB.prepare("SELECT id, week_views, today_views, total_views FROM films ORDER BY id").all();
    const { rollupViews } = await import("../../edge/rollup");
    const { drizzle } = await import("drizzle-orm/d1");
    const again = await rollupViews(drizzle(env.DB), NOW + 2 * DAY_MS + 60_000);
    expect(again).toMatchObject({ todayCountersZeroed: 0, weekRecomputed: 0 });
    const after = await env.DB.prepare("SELECT id, week_views, today_views, total_views FROM films ORDER BY id").all();
    expect(after.results).toEqual(before.results);
  });
});

async function waitForViews(id: string, total: number) {
  // Views arrive through the film-views queue (batches of up to 2 s).
  const until = Date.now() + 20_000;
  while (Date.now() < until) {
    const row = await env.DB.prepare("SELECT total_views FROM films WHERE id = ?").bind(id).first<{ total_views: number }>();
    if (row?.total_views === total) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`views of ${id} never reached ${total}`);
}
