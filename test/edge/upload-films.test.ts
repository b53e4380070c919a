// Create, delete and reindex films through the seed's upload routes.
import { env } from "cloudflare:workers";
import { afterAll, describe, expect, it } from "vitest";
import {
  admin,
  adminJson,
  call,
  consumeQueueInTest,
  count,
  createFilm,
  FILM,
  filmFootprint,
  files,
  form,
  keysUnder,
  postForm,
  reasonOf,
  rows,
  waitFor,
} from "./upload-support";

const queue = consumeQueueInTest();
afterAll(() => queue.restore());

// Generous: these move megabytes through workerd, and the suite shares 2 cores.
describe("POST /api/v1/upload/media/", { timeout: 30_000 }, () => {
  it("creates a film with its people in order, indexed for search", async () => {
    const title = `Created ${crypto.randomUUID()}`;
    const id = await createFilm({ title, actors: ["甲", "乙", "丙"], directors: ["丁"] });
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    const [film] = await rows<Record<string, unknown>>("SELECT * FROM films WHERE id = ?", id);
    expect(film).toMatchObject({ title, type: "TV_SERIES", category: "TV_SERIES_KR_SERIES", location: "KR", state: "coming soon", release_year: 2024, language: "Korean" });
    expect(film!.created_at).toBe(film!.updated_at);
    const people = await rows("SELECT role, name, position FROM film_people WHERE film_id = ? ORDER BY role, position", id);
    expect(people).toEqual([
      { role: "actor", name: "甲", position: 0 },
      { role: "actor", name: "乙", position: 1 },
      { role: "actor", name: "丙", position: 2 },
      { role: "director", name: "丁", position: 0 },
    ]);
    // The catalog's triggers index the film as its rows land.
    const fts = await rows<{ film_id: string; people: string }>("SELECT film_id, people FROM films_fts WHERE films_fts MATCH ?", `"${title.slice(8)}"`);
    expect(fts.map((r) => r.film_id)).toEqual([id]);
    expect(fts[0]!.people).toContain("乙");
  });

  it("takes the optional fields' defaults and many people (more than one insert's worth)", async () => {
    const actors = Array.from({ length: 60 }, (_, i) => `Actor ${i}`);
    const res = await adminJson("/api/v1/upload/media/", { title: "Minimal", type: "MOVIE", category: "MOVIE_DRAMA", location: "US", actors });
    expect(res.status).toBe(200);
    const { id } = (await res.json()) as { id: string };
    expect(await count("SELECT count(*) AS n FROM film_people WHERE film_id = ? AND role = 'actor'", id)).toBe(60);
    const [film] = await rows("SELECT state, introduction, language, release_year FROM films WHERE id = ?", id);
    expect(film).toEqual({ state: "", introduction: "", language: "", release_year: 0 });
  });

  it("answers 400 naming each bad field, and creates nothing", async () => {
    const title = `Bad ${crypto.randomUUID()}`;
    const res = await adminJson("/api/v1/upload/media/", {
      ...FILM,
      title,
      type: "HOME",
      category: "NOPE",
      releaseYear: "2020",
      actors: ["ok", 5],
    });
    const reason = await reasonOf(res, 400);
    for (const field of ["type", "category", "releaseYear", "actors.1"]) expect(reason).toContain(field);
    expect(await count("SELECT count(*) AS n FROM films WHERE title = ?", title)).toBe(0);

    const missing = await reasonOf(await adminJson("/api/v1/upload/media/", { type: "MOVIE" }), 400);
    for (const field of ["title", "category", "location"]) expect(missing).toContain(field);
  });

  it("refuses a body that is not JSON, or too large, without creating anything", async () => {
    const before = await count("SELECT count(*) AS n FROM films WHERE title = 'Not JSON'");
    await reasonOf(await admin("/api/v1/upload/media/", { method: "POST", headers: { "content-type": "application/json" }, body: "{not json" }), 400);
    const asText = await admin("/api/v1/upload/media/", { method: "POST", headers: { "content-type": "text/plain" }, body: JSON.stringify({ ...FILM, title: "Not JSON" }) });
    expect([400, 415]).toContain(asText.status);
    await reasonOf(asText, asText.status);
    const huge = JSON.stringify({ ...FILM, title: "Not JSON", introduction: "x".repeat(300 * 1024) });
    await reasonOf(await admin("/api/v1/upload/media/", { method: "POST", headers: { "content-type": "application/json" }, body: huge }), 413);
    expect(await count("SELECT count(*) AS n FROM films WHERE title = 'Not JSON'")).toBe(before);
  });
});

describe("POST /api/v1/upload/media/search_engine/{id}", { timeout: 30_000 }, () => {
  it("rewrites the film's search entry from its rows, idempotently", async () => {
    const title = `Reindex ${crypto.randomUUID()}`;
    const id = await createFilm({ title });
    // Damage the index the way a bad migration or manual edit could.
    await env.DB.prepare("DELETE FROM films_fts WHERE film_id = ?").bind(id).run();
    expect(await count("SELECT count(*) AS n FROM films_fts WHERE film_id = ?", id)).toBe(0);
    for (let i = 0; i < 2; i++) {
      const res = await admin(`/api/v1/upload/media/search_engine/${id}`, { method: "POST" });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ id, indexed: true });
    }
    const fts = await rows<{ film_id: string; title: string; people: string }>("SELECT film_id, title, people FROM films_fts WHERE film_id = ?", id);
    expect(fts).toEqual([{ film_id: id, title, people: "Actor One / Actor Two / Director One" }]);
  });

  it("answers 404 for an unknown film and 400 for a malformed id", async () => {
    await reasonOf(await admin(`/api/v1/upload/media/search_engine/${crypto.randomUUID()}`, { method: "POST" }), 404);
    expect(await reasonOf(await admin(`/api/v1/upload/media/search_engine/..%2F..%2Fx`, { method: "POST" }), 400)).toContain("id");
  });
});

describe("DELETE /api/v1/upload/media/{id}", { timeout: 30_000 }, () => {
  it("removes every row and every object of the film, and its search entry", async () => {
    const title = `Doomed ${crypto.randomUUID()}`;
    const id = await createFilm({ title });
    const other = await createFilm({ title: `Survivor ${crypto.randomUUID()}` });
    // A poster, two episodes (one re-uploaded), stray outputs: objects under the film's prefix.
    expect((await postForm(`/api/v1/upload/media/image/${id}`, form({}, { bytes: files.png() }))).status).toBe(200);
    for (const ep of ["1", "2", "2"]) {
      expect((await postForm(`/api/v1/upload/media/resource/line1/${id}/${ep}`, form({}, { bytes: files.mp4() }))).status).toBe(200);
    }
    await env.MEDIA.put(`films/${id}/episodes/line1/1/hls/x/master.m3u8`, "#EXTM3U\n");
    expect((await postForm(`/api/v1/upload/media/image/${other}`, form({}, { bytes: files.png() }))).status).toBe(200);
    await env.DB.prepare("INSERT INTO film_views (film_id, day, views) VALUES (?, '2024-01-01', 3)").bind(id).run();
    // poster, two live sources (the re-upload deleted the source it superseded), the stray output
    await waitFor("superseded source deleted", async () => (await keysUnder(`films/${id}/`)).length === 4);

    const res = await admin(`/api/v1/upload/media/${id}`, { method: "DELETE" });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ id, deleted: true });

    expect(await keysUnder(`films/${id}/`)).toEqual([]);
    const after = await filmFootprint(id);
    expect(after).toMatchObject({ films: 0, people: 0, episodes: [], objects: [] });
    expect(await count("SELECT count(*) AS n FROM film_views WHERE film_id = ?", id)).toBe(0);
    expect(await count("SELECT count(*) AS n FROM films_fts WHERE film_id = ?", id)).toBe(0);
    // Jobs still queued stay only as "superseded" markers, so their late output gets deleted too.
    expect(after.jobs.every((j) => (j as { status: string }).status === "superseded")).toBe(true);
    // The other film is untouched.
    expect((await keysUnder(`films/${other}/`)).length).toBe(1);
    expect(await count("SELECT count(*) AS n FROM films WHERE id = ?", other)).toBe(1);

    await reasonOf(await admin(`/api/v1/upload/media/${id}`, { method: "DELETE" }), 404);
  });

  it("answers 400 for an id that is not a UUID (no key is ever built from it)", async () => {
    const reason = await reasonOf(await call("/api/v1/upload/media/not-a-uuid", { method: "DELETE", headers: { authorization: "Bearer test-admin-token" } }), 400);
    expect(reason).toContain("id");
  });
});
