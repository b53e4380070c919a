// The cron's merge of the search index: every write adds an FTS5 segment, and every term of a query is
// looked up in every segment; the cron merges a bounded amount each run until one is left per table,
// and what a search answers does not change.
import { createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import worker from "../../edge/index";
import { SEARCH_TABLES } from "../../edge/catalog/search-index";
import { get, insertFilm } from "./seed-fixtures";

/** Segments of an FTS5 table: its %_idx shadow table holds a row per (segment, leading term of a page). */
async function segments(table: string): Promise<number> {
  const row = await env.DB.prepare(`SELECT count(DISTINCT segid) AS n FROM ${table}_idx`).first<{ n: number }>();
  return row!.n;
}

async function runCron() {
  await worker.scheduled(createScheduledController({ scheduledTime: new Date(), cron: "*/10 * * * *" }), env);
}

const ids = async (text: string) => {
  const r = await get<{ search_films: Array<{ id: string }> }>(`/api/v1/affair/search/content?content=${encodeURIComponent(text)}`);
  expect(r.status).toBe(200);
  return r.body.search_films.map((f) => f.id);
};

describe("search index merge (cron)", () => {
  it("brings every search table back to one segment after many writes, answers unchanged", async () => {
    // One write at a time, as admins make them: each leaves a segment.
    for (let i = 0; i < 24; i++) await insertFilm({ title: `Segmented River ${i}`, introduction: `Episode ${i} of the harbour tales.`, actors: [`Actor Number ${i}`] });
    const before = await Promise.all(SEARCH_TABLES.map(segments));
    expect(Math.max(...before)).toBeGreaterThan(1);
    const answers = { title: await ids("Segmented River"), intro: await ids("harbour tales"), person: await ids("Actor Number 7") };
    expect(answers.title.length).toBe(24);

    for (let run = 0; run < 5; run++) await runCron();
    expect(await Promise.all(SEARCH_TABLES.map(segments))).toEqual(SEARCH_TABLES.map(() => 1));
    expect({ title: await ids("Segmented River"), intro: await ids("harbour tales"), person: await ids("Actor Number 7") }).toEqual(answers);
    for (const t of SEARCH_TABLES) await env.DB.prepare(`INSERT INTO ${t} (${t}) VALUES ('integrity-check')`).run();
  });
});
