// The admin import routes (edge/admin/import.ts) and the old media URLs (edge/playback/legacy-media.ts)
// inside workerd with D1 and R2: idempotent upserts, counters from the history, the search index, HLS
// checked before it is made ready, and refusals that change nothing.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { keySegment } from "../../schema/keys";
import { call as callWith } from "./playback-fixtures";
import { admin, adminJson, call, count, files, keysUnder, reasonOf, rows } from "./upload-support";

const I = "/api/v1/admin/import";
const DAY = 86_400_000;
const today = new Date().toISOString().slice(0, 10);
const daysAgo = (n: number) => new Date(Date.now() - n * DAY).toISOString().slice(0, 10);
const TS = new Uint8Array(188 * 4).map((_, i) => (i % 188 === 0 ? 0x47 : 0));
const VERSION = "import-0123456789abcdef";
const RENDITION = { bandwidth: 500_000, width: 160, height: 90, codecs: "avc1.42E01E,mp4a.40.2" };

function film(overrides: Record<string, unknown> = {}) {
  return {
    title: "导入的电影",
    type: "TV_SERIES",
    category: "TV_SERIES_CN_SERIES",
    location: "MAIN_LAND",
    language: "国语",
    releaseYear: 2014,
    state: "更新至第2集",
    introduction: "第一行\n第二行",
    actors: ["演员甲", "演员乙"],
    directors: [],
    createdAt: Date.UTC(2020, 0, 1),
    updatedAt: Date.UTC(2021, 0, 1),
    totalViews: 30,
    views: [
      { day: daysAgo(30), views: 20 },
      { day: daysAgo(2), views: 4 },
      { day: today, views: 6 },
    ],
    ...overrides,
  };
}

const put = (path: string, bytes: Uint8Array | string) => admin(path, { method: "PUT", headers: { "content-type": "application/octet-stream" }, body: bytes });
const playlist = (segs: string[]) => `#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:4\n#EXT-X-MEDIA-SEQUENCE:0\n${segs.map((s) => `#EXTINF:4.000000,\n${s}\n`).join("")}#EXT-X-ENDLIST\n`;

describe("PUT /admin/import/films/{id}", () => {
  it("needs the bearer token", async () => {
    const res = await call(`${I}/films/${crypto.randomUUID()}`, { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify(film()) });
    expect(res.status).toBe(401);
  });

  it("writes the film with its old id, times, people and history in one go, and the same document again changes nothing", async () => {
    const id = crypto.randomUUID();
    const first = await adminJson(`${I}/films/${id}`, film(), "PUT");
    expect(await first.json()).toEqual({ changed: true });
    const [row] = await rows<Record<string, unknown>>("SELECT * FROM films WHERE id = ?", id);
    expect(row).toMatchObject({
      title: "导入的电影",
      created_at: Date.UTC(2020, 0, 1),
      updated_at: Date.UTC(2021, 0, 1),
      total_views: 30,
      today_views: 6,
      views_day: today,
      week_views: 10,
      actors: JSON.stringify(["演员甲", "演员乙"]),
    });
    expect(await count("SELECT count(*) AS n FROM film_views WHERE film_id = ?", id)).toBe(3);
    const celebrity = await call(`/api/v1/affair/search/celebrity?content=${encodeURIComponent("演员甲")}`);
    expect(((await celebrity.json()) as { search_films: Array<{ id: string }> }).search_films.map((f) => f.id)).toContain(id);

    expect(await (await adminJson(`${I}/films/${id}`, film(), "PUT")).json()).toEqual({ changed: false });
    const state = (await (await admin(`${I}/films/${id}`)).json()) as { film: { fingerprint: string } | null };
    expect(state.film?.fingerprint).toMatch(/^[0-9a-f]{64}$/);
  });

  it("replaces people and history when the document changed, keeping the search index right", async () => {
    const id = crypto.randomUUID();
    await adminJson(`${I}/films/${id}`, film(), "PUT");
    const changed = await adminJson(`${I}/films/${id}`, film({ actors: ["新演员"], views: [{ day: today, views: 1 }], totalViews: 1 }), "PUT");
    expect(await changed.json()).toEqual({ changed: true });
    expect(await rows("SELECT name FROM film_people WHERE film_id = ? ORDER BY position", id)).toEqual([{ name: "新演员" }]);
    expect(await rows("SELECT total_views, week_views, today_views FROM films WHERE id = ?", id)).toEqual([{ total_views: 1, week_views: 1, today_views: 1 }]);
    const old = await call(`/api/v1/affair/search/celebrity?content=${encodeURIComponent("演员甲")}`);
    expect(((await old.json()) as { search_films: Array<{ id: string }> }).search_films.map((f) => f.id)).not.toContain(id);
  });

  it("takes a history of years and two hundred people in its one batch, people in order", async () => {
    const id = crypto.randomUUID();
    const views = Array.from({ length: 3000 }, (_, i) => ({ day: daysAgo(i), views: 1 }));
    const actors = Array.from({ length: 200 }, (_, i) => `actor ${i}`);
    expect(await (await adminJson(`${I}/films/${id}`, film({ views, actors, totalViews: 3000 }), "PUT")).json()).toEqual({ changed: true });
    expect(await count("SELECT count(*) AS n FROM film_views WHERE film_id = ?", id)).toBe(3000);
    expect(await rows("SELECT week_views, today_views FROM films WHERE id = ?", id)).toEqual([{ week_views: 7, today_views: 1 }]);
    const [row] = await rows<{ actors: string }>("SELECT actors FROM films WHERE id = ?", id);
    expect(JSON.parse(row!.actors)).toEqual(actors);
  });

  it.each([
    ["an unknown type", { type: "CARTOON" }, "type"],
    ["an empty title", { title: " " }, "title"],
    ["a day twice", { views: [{ day: today, views: 1 }, { day: today, views: 2 }] }, "views"],
    ["a malformed day", { views: [{ day: "yesterday", views: 1 }] }, "views"],
    ["negative views", { totalViews: -1 }, "totalViews"],
  ])("refuses %s with 400 and writes nothing", async (_label, overrides, field) => {
    const id = crypto.randomUUID();
    const reason = await reasonOf(await adminJson(`${I}/films/${id}`, film(overrides), "PUT"), 400);
    expect(reason).toContain(field);
    expect(await count("SELECT count(*) AS n FROM films WHERE id = ?", id)).toBe(0);
  });
});

describe("posters and episodes", () => {
  it("stores a poster by its content, once", async () => {
    const id = crypto.randomUUID();
    expect(await reasonOf(await put(`${I}/films/${id}/poster`, files.png()), 404)).toContain("not found");
    await adminJson(`${I}/films/${id}`, film(), "PUT");
    expect(await reasonOf(await put(`${I}/films/${id}/poster`, "not an image"), 400)).toContain("poster");
    const first = (await (await put(`${I}/films/${id}/poster`, files.png())).json()) as { changed: boolean; key: string };
    expect(first.changed).toBe(true);
    expect(first.key).toMatch(new RegExp(`^films/${id}/poster/import-[0-9a-f]{16}\\.png$`));
    expect(((await (await put(`${I}/films/${id}/poster`, files.png())).json()) as { changed: boolean }).changed).toBe(false);
    // The old poster URL now redirects to it.
    const old = await call(`/api/v1/resource/media/image/${id}`, { redirect: "manual" });
    expect(old.status).toBe(301);
    expect(old.headers.get("location")).toBe(`https://cdn.test/api/v1/resource/media/${first.key}`);
  });

  it("makes an episode with any name ready on its uploaded HLS, checked first", async () => {
    const id = crypto.randomUUID();
    await adminJson(`${I}/films/${id}`, film(), "PUT");
    const ep = `${I}/films/${id}/episodes/line.1/${encodeURIComponent("第1集")}`;
    expect(await reasonOf(await adminJson(ep, { version: VERSION, rendition: RENDITION, createdAt: 1, updatedAt: 2 }, "PUT"), 409)).toContain("index.m3u8");

    expect(await reasonOf(await put(`${ep}/hls/${VERSION}/evil.sh`, TS), 400)).toContain("file");
    expect(await reasonOf(await put(`${ep}/hls/${VERSION}/seg_00000.ts`, "text"), 400)).toContain("MPEG-TS");
    for (const bad of ["../seg_00000.ts", "http://evil.test/seg.ts", "other.ts"]) {
      expect(await reasonOf(await put(`${ep}/hls/${VERSION}/index.m3u8`, playlist([bad])), 400)).toContain("playlist");
    }
    expect(await reasonOf(await put(`${ep}/hls/${VERSION}/index.m3u8`, playlist(["seg_00000.ts"]).replace("#EXT-X-ENDLIST\n", "")), 400)).toContain("ENDLIST");

    await put(`${ep}/hls/${VERSION}/index.m3u8`, playlist(["seg_00000.ts", "seg_00001.ts"]));
    await put(`${ep}/hls/${VERSION}/seg_00000.ts`, TS);
    expect(await reasonOf(await adminJson(ep, { version: VERSION, rendition: RENDITION, createdAt: 1, updatedAt: 2 }, "PUT"), 409)).toContain("1 segment");
    await put(`${ep}/hls/${VERSION}/seg_00001.ts`, TS);
    expect(await (await adminJson(ep, { version: VERSION, rendition: RENDITION, createdAt: 1, updatedAt: 2 }, "PUT")).json()).toEqual({ changed: true });
    expect(await (await adminJson(ep, { version: VERSION, rendition: RENDITION, createdAt: 1, updatedAt: 2 }, "PUT")).json()).toEqual({ changed: false });
    // Once an upload gave the episode to the transcoder, the import no longer replaces it.
    await env.DB.prepare("UPDATE episodes SET job_id = ? WHERE film_id = ?").bind(crypto.randomUUID(), id).run();
    const other = "import-fedcba9876543210";
    await put(`${ep}/hls/${other}/index.m3u8`, playlist(["seg_00000.ts"]));
    await put(`${ep}/hls/${other}/seg_00000.ts`, TS);
    expect(await reasonOf(await adminJson(ep, { version: other, rendition: RENDITION, createdAt: 1, updatedAt: 2 }, "PUT"), 409)).toContain("transcode");
    await env.DB.prepare("UPDATE episodes SET job_id = NULL WHERE film_id = ?").bind(id).run();

    // Keys hold the names encoded, never raw.
    const prefix = `films/${id}/episodes/line.1/${keySegment("第1集")}/hls/${VERSION}/`;
    expect(keySegment("第1集")).toMatch(/^~[A-Za-z0-9_-]+$/);
    expect((await keysUnder(prefix)).sort()).toEqual(["index.m3u8", "master.m3u8", "seg_00000.ts", "seg_00001.ts"].map((f) => prefix + f));
    const [row] = await rows<{ status: string; duration: number; renditions: string }>("SELECT status, duration, renditions FROM episodes WHERE film_id = ?", id);
    expect(row).toMatchObject({ status: "ready", duration: 8 });
    expect(JSON.parse(row!.renditions)).toEqual([{ name: "source", ...RENDITION, playlist: "index.m3u8" }]);

    const master = await call(`/api/v1/resource/media_list/line.1/${id}/${encodeURIComponent("第1集")}`);
    expect(master.status).toBe(200);
    const text = await master.text();
    expect(text).toContain(`/media_list/line.1/${id}/${encodeURIComponent("第1集")}/v/source.m3u8`);
    // The old playlist and segment URLs lead there.
    const oldPlaylist = await call(`/api/v1/resource/media/line.1/${id}-${encodeURIComponent("第1集")}.m3u8`, { redirect: "manual" });
    expect(oldPlaylist.status).toBe(301);
    expect(oldPlaylist.headers.get("location")).toBe(`https://cdn.test/api/v1/resource/media_list/line.1/${id}/${encodeURIComponent("第1集")}`);
    const oldSegment = await call(`/api/v1/resource/media/line.1/${id}-${encodeURIComponent("第1集")}-1.ts`, { redirect: "manual" });
    expect(oldSegment.headers.get("location")).toBe(`https://cdn.test/api/v1/resource/media/${prefix}seg_00001.ts`);
    // With signing on, a redirect would have to carry a fresh token to anyone: refused; the playlist URL still leads to the master.
    const signed = await callWith(`/api/v1/resource/media/line.1/${id}-${encodeURIComponent("第1集")}-1.ts`, { redirect: "manual" }, { MEDIA_SIGNING: "on" });
    expect(await reasonOf(signed, 403)).toContain("MEDIA_SIGNING");
    const signedPlaylist = await callWith(`/api/v1/resource/media/line.1/${id}-${encodeURIComponent("第1集")}.m3u8`, { redirect: "manual" }, { MEDIA_SIGNING: "on" });
    expect(signedPlaylist.status).toBe(301);
  });

  it("old URLs of objects that were not imported are 404 with a reason", async () => {
    expect(await reasonOf(await call(`/api/v1/resource/media/line1/${crypto.randomUUID()}-1-0.ts`), 404)).toContain("not imported");
    expect(await reasonOf(await call(`/api/v1/resource/media/image/${crypto.randomUUID()}`), 404)).toContain("not imported");
    expect(await reasonOf(await call(`/api/v1/resource/media/advertisement/x.png`), 404)).toContain("not imported");
  });
});

describe("ads", () => {
  it("imports an image ad with its type and expiry, idempotently", async () => {
    const id = crypto.randomUUID();
    const body = { type: "WEB_BAR", expiresAt: Date.now() + DAY, createdAt: Date.UTC(2022, 0, 1), image: { ext: "png" } };
    expect(await reasonOf(await adminJson(`${I}/ads/${id}`, body, "PUT"), 409)).toContain("image");
    expect((await put(`${I}/ads/${id}/image`, files.png())).status).toBe(200);
    expect(await (await adminJson(`${I}/ads/${id}`, body, "PUT")).json()).toEqual({ changed: true });
    expect(await (await adminJson(`${I}/ads/${id}`, body, "PUT")).json()).toEqual({ changed: false });
    expect(await rows("SELECT type, status, asset_key, content_type, created_at FROM ads WHERE id = ?", id)).toEqual([
      { type: "WEB_BAR", status: "ready", asset_key: `ads/${id}/image.png`, content_type: "image/png", created_at: Date.UTC(2022, 0, 1) },
    ]);
    const old = await call(`/api/v1/resource/media/advertisement/${id}-original-file.png`, { redirect: "manual" });
    expect(old.headers.get("location")).toBe(`https://cdn.test/api/v1/resource/media/ads/${id}/image.png`);
  });

  it("refuses a FILM ad without HLS, or an image ad with it", async () => {
    const id = crypto.randomUUID();
    await reasonOf(await adminJson(`${I}/ads/${id}`, { type: "FILM", expiresAt: 0, createdAt: 0, image: { ext: "png" } }, "PUT"), 400);
    await reasonOf(await adminJson(`${I}/ads/${id}`, { type: "WEB", expiresAt: 0, createdAt: 0, hls: { version: VERSION, rendition: RENDITION } }, "PUT"), 400);
    expect(await count("SELECT count(*) AS n FROM ads WHERE id = ?", id)).toBe(0);
  });

  it("imports a FILM ad from its old HLS, ready to be stitched", async () => {
    const id = crypto.randomUUID();
    const base = `${I}/ads/${id}`;
    await put(`${base}/hls/${VERSION}/index.m3u8`, playlist(["seg_00000.ts"]));
    await put(`${base}/hls/${VERSION}/seg_00000.ts`, TS);
    const files = (await (await admin(`${base}/hls/${VERSION}`)).json()) as { files: Array<{ name: string }> };
    expect(files.files.map((f) => f.name).sort()).toEqual(["index.m3u8", "seg_00000.ts"]);
    const body = { type: "FILM", expiresAt: Date.now() + DAY, createdAt: 5, hls: { version: VERSION, rendition: RENDITION } };
    expect(await (await adminJson(base, body, "PUT")).json()).toEqual({ changed: true });
    expect(await rows("SELECT status, asset_key, hls_prefix, duration FROM ads WHERE id = ?", id)).toEqual([
      { status: "ready", asset_key: `ads/${id}/hls/${VERSION}/master.m3u8`, hls_prefix: `ads/${id}/hls/${VERSION}/`, duration: 4 },
    ]);
    expect(await (await adminJson(base, body, "PUT")).json()).toEqual({ changed: false });
    // The old FILM ad playlist URL: the ad's playlist route (tokened when signing is on).
    const old = `/api/v1/resource/media/advertisement/${id}.m3u8`;
    expect((await call(old, { redirect: "manual" })).headers.get("location")).toBe(`https://cdn.test/api/v1/resource/ad_list/${id}/master.m3u8`);
    const signed = await callWith(old, { redirect: "manual" }, { MEDIA_SIGNING: "on" });
    expect(signed.headers.get("location")).toBe(`https://cdn.test/api/v1/resource/ad_list/${id}/master.m3u8`);
    expect(await reasonOf(await callWith(`/api/v1/resource/media/advertisement/${id}-0.ts`, { redirect: "manual" }, { MEDIA_SIGNING: "on" }), 403)).toContain("MEDIA_SIGNING");
  });
});

describe("documentation", () => {
  it("lists the import routes in the OpenAPI document", async () => {
    const doc = (await (await call("/api/v1/openapi.json")).json()) as { paths: Record<string, unknown> };
    for (const p of ["/api/v1/admin/import/films/{id}", "/api/v1/admin/import/films/{id}/episodes/{route}/{episode}", "/api/v1/admin/import/ads/{id}", "/api/v1/resource/ad_list/{id}/master.m3u8"]) {
      expect(Object.keys(doc.paths), p).toContain(p);
    }
  });
});
