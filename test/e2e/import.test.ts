// `npm run import` against a real edge (wrangler dev): an export made the way the old system stored its
// data (test/support/old-export.ts) is imported through a cut run and its resumption, then the site is
// checked through the public API only — catalog fields and orders, stitched playback decoded by ffmpeg,
// old URLs, ads — and a second run must change nothing.
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { OLD, type OldExport, PNG, buildOldExport } from "../support/old-export";
import { type DevEdge, ROOT, TEST_ADMIN_TOKEN, startEdge, waitFor } from "../support/stack";

const execFileP = promisify(execFile);
const IMPORT = path.join(ROOT, "scripts/import.ts");

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  lines: string[];
  stderr: string;
}

/** Runs the importer; `killWhen` sees each stdout line as it comes and may end the process (SIGKILL) right there. */
function runImport(args: string[], killWhen?: (line: string) => boolean): Promise<Run> {
  return new Promise((resolve) => {
    // One process (node with tsx's loader, not the tsx wrapper): SIGKILL must stop the importer itself.
    const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", IMPORT, ...args], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    const lines: string[] = [];
    let stderr = "";
    child.stderr!.on("data", (d) => (stderr += d));
    createInterface({ input: child.stdout! }).on("line", (line) => {
      lines.push(line);
      if (killWhen?.(line)) child.kill("SIGKILL");
    });
    child.once("exit", (code, signal) => resolve({ code, signal, lines, stderr }));
  });
}

let edge: DevEdge;
let work: string;
let fixture: OldExport;
let args: string[];

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), "old-export-"));
  // No transcoder answers here: --retranscode only has to get its jobs queued.
  [edge, fixture] = await Promise.all([startEdge({ vars: { TRANSCODER_URL: "http://127.0.0.1:9" } }), buildOldExport(work)]);
  args = ["--from", work, "--edge", edge.url, "--token", TEST_ADMIN_TOKEN];
}, 180_000);

afterAll(async () => {
  await edge?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

const api = async <T>(p: string): Promise<{ status: number; body: T }> => {
  const res = await fetch(`${edge.url}${p}`);
  return { status: res.status, body: (await res.json()) as T };
};
type Film = { id: string; title: string; resource: string; state: string; actors: string[] };
const ids = (films: Array<{ id: string }>) => films.map((f) => f.id);
const media = (p: string) => `/api/v1/resource/media/${p.split("/").map(encodeURIComponent).join("/")}`;
/** The anomalies of the fixture that must fail on every run, and nothing else. */
const EXPECTED_FAILURES = [/^failed mongo\/Film\.json line 5: type:/, /^failed mongo\/Film\.json line 6: not JSON/, new RegExp(`^failed episode ${OLD.lost} line1/1: missing object`),
  new RegExp(`^failed episode ${OLD.lost} line1/a/b: episode name:`),
];

function expectOnlyKnownFailures(run: Run) {
  const failed = run.lines.filter((l) => l.startsWith("failed "));
  expect(failed, run.stderr).toHaveLength(EXPECTED_FAILURES.length);
  for (const re of EXPECTED_FAILURES) expect(failed.some((l) => re.test(l)), `${re}\n${failed.join("\n")}`).toBe(true);
}

/** What a second run must leave exactly as it was. */
function snapshot() {
  return edge.sql(
    `SELECT (SELECT json_group_array(json_array(id, title, type, category, location, language, release_year, state, introduction, poster_key, created_at, updated_at, total_views, today_views, week_views, actors, directors)) FROM (SELECT * FROM films ORDER BY id)) AS films,
            (SELECT json_group_array(json_array(film_id, route, episode, status, hls_prefix, duration, renditions, created_at)) FROM (SELECT * FROM episodes ORDER BY film_id, route, episode)) AS episodes,
            (SELECT json_group_array(json_array(film_id, day, views)) FROM (SELECT * FROM film_views ORDER BY film_id, day)) AS views,
            (SELECT json_group_array(json_array(id, type, status, asset_key, hls_prefix, expires_at, created_at)) FROM (SELECT * FROM ads ORDER BY id)) AS ads`,
  )[0];
}

describe("npm run import", () => {
  test("a dry run validates everything, reports the bad documents and writes nothing", async () => {
    const run = await runImport([...args, "--dry-run"]);
    expect(run.code).toBe(1);
    expectOnlyKnownFailures(run);
    expect(run.lines).toContain(`valid film ${OLD.star}`);
    expect(run.lines).toContain(`valid episode ${OLD.star} line1/第1集`);
    expect(run.lines).toContain(`valid ad FILM ${OLD.filmAd}`);
    expect(run.lines.some((l) => l.startsWith("skipped mongo/Film.json line 4: phantom"))).toBe(true);
    expect(run.stderr).toContain("summary (dry run: nothing written)");
    expect((await api<{ films: Film[] }>("/api/v1/affair")).body.films).toEqual([]);
  });

  test("a run cut after its first episode, run again, finishes the import without doing anything twice", async () => {
    const cut = await runImport(args, (line) => line.startsWith("imported episode"));
    expect(cut.signal).toBe("SIGKILL");
    expect(cut.lines.filter((l) => l.startsWith("imported film"))).toHaveLength(3);
    const firstEpisode = cut.lines.find((l) => l.startsWith("imported episode"))!.slice("imported ".length);

    const resumed = await runImport(args);
    expect(resumed.code).toBe(1);
    expectOnlyKnownFailures(resumed);
    // What the cut run finished is found on the edge and skipped.
    for (const id of [OLD.star, OLD.classic, OLD.lost]) expect(resumed.lines).toContain(`skipped film ${id}`);
    expect(resumed.lines).toContain(`skipped ${firstEpisode}`);
    expect(resumed.lines.filter((l) => l.startsWith("imported episode"))).toHaveLength(2);
    expect(resumed.lines.filter((l) => l.startsWith("imported ad"))).toHaveLength(3);
    expect(resumed.stderr).toMatch(/episodes +imported 2, skipped 1, failed 2/);
  });

  test("films keep their old ids, fields, people and times", async () => {
    const star = await api<Record<string, unknown>>(`/api/v1/affair/film_information/${OLD.star}`);
    expect(star.status).toBe(200);
    expect(star.body).toMatchObject({
      id: OLD.star,
      title: "星际穿越",
      state: "更新至第2集",
      type: "TV_SERIES",
      category: "TV_SERIES_CN_SERIES",
      location: "MAIN_LAND",
      releaseYear: 2014,
      actors: ["马修", "安妮"],
      directors: [],
      introduction: "一段\n介绍",
    });
    const classic = await api<Record<string, unknown>>(`/api/v1/affair/film_information/${OLD.classic}`);
    expect(classic.body).toMatchObject({ id: OLD.classic, title: "Old Classic", actors: [], directors: [], releaseYear: 0, state: "", popularity: 20 });
    // Times come from the export (canonical $date {$numberLong}), not from the moment of the import.
    const created = edge.sql<{ created_at: number; updated_at: number }>(`SELECT created_at, updated_at FROM films WHERE id = '${OLD.classic}'`)[0]!;
    expect(created.updated_at - created.created_at).toBe(8000);
    expect(Date.parse(String(classic.body.updateTime))).toBe(created.updated_at);
    // The poster, from the bytes mc mirror left without a name extension.
    const poster = await fetch(String(classic.body.resource));
    expect(poster.status).toBe(200);
    expect(poster.headers.get("content-type")).toBe("image/png");
    expect(Buffer.from(await poster.arrayBuffer())).toEqual(PNG);

    const routes = await api<{ film_routes: Array<{ route: string; episodes: string[] }> }>(`/api/v1/affair/film_information/routes/${OLD.star}`);
    expect(routes.body.film_routes).toHaveLength(1);
    expect(routes.body.film_routes[0]!.route).toBe("line1");
    expect([...routes.body.film_routes[0]!.episodes].sort()).toEqual(["2", "第1集"]);
    const classicRoutes = await api<{ film_routes: unknown }>(`/api/v1/affair/film_information/routes/${OLD.classic}`);
    expect(classicRoutes.body.film_routes).toEqual([{ route: "line.2", episodes: ["正片"] }]);

    const search = await api<{ search_films: Array<{ id: string; language: string }> }>(`/api/v1/affair/search/content?content=${encodeURIComponent("星际")}`);
    expect(ids(search.body.search_films)).toContain(OLD.star);
    const celebrity = await api<{ search_films: Array<{ id: string }> }>(`/api/v1/affair/search/celebrity?content=${encodeURIComponent("宫崎")}`);
    expect(ids(celebrity.body.search_films)).toEqual([OLD.lost]);
    expect((await api(`/api/v1/affair/film_information/${OLD.phantom}`)).status).toBe(404);
  });

  test("orders come out as the old view history implies", async () => {
    // star: 5 views today (two day documents summed) + 1 three days ago; classic: 20 views a month ago.
    const weekly = await api<{ films: Film[] }>("/api/v1/affair/filter/HOME?order_type=WEEKLY_POPULARITY");
    expect(ids(weekly.body.films).slice(0, 2)).toEqual([OLD.star, OLD.classic]);
    const total = await api<{ films: Film[] }>("/api/v1/affair/filter/HOME?order_type=TOTAL_POPULARITY");
    expect(ids(total.body.films).slice(0, 2)).toEqual([OLD.classic, OLD.star]);
    const updated = await api<{ films: Film[] }>("/api/v1/affair/filter/HOME");
    expect(ids(updated.body.films)).toEqual([OLD.classic, OLD.star, OLD.lost]);
    const popular = await api<{ films: Film[] }>("/api/v1/affair/popular/type/HOME");
    expect(ids(popular.body.films)[0]).toBe(OLD.star);
    const ranked = await api<{ ranked_films: Array<{ id: string; popularity: number }> }>("/api/v1/affair/ranked/ALL_CATEGORY");
    expect(ranked.body.ranked_films.slice(0, 2).map((r) => r.id)).toEqual([OLD.star, OLD.classic]);
    // 5 today from the export (two day documents summed) + the view the details test above counted,
    // which arrives through the film-views queue (a batch every 2 s).
    const views = () => edge.sql<{ day: string; views: number }>(`SELECT day, views FROM film_views WHERE film_id = '${OLD.star}' ORDER BY day`).map((v) => v.views);
    await waitFor("the details test's view counted", async () => views()[1] === 6, 30_000);
    expect(views()).toEqual([1, 6]);
  });

  test("an imported episode plays stitched with an imported FILM ad, decoded by ffmpeg over HTTP", async () => {
    const master = `${edge.url}/api/v1/resource/media_list/line1/${OLD.star}/${encodeURIComponent("第1集")}`;
    const res = await fetch(master);
    expect(res.status).toBe(200);
    expect(Number(res.headers.get("x-ad-breaks"))).toBeGreaterThan(0);
    const variantUri = (await res.text()).split("\n").find((l) => l.startsWith("http"))!;
    const variant = await (await fetch(variantUri)).text();
    expect(variant).toContain(`/ads/${OLD.filmAd}/hls/import-`);
    expect(variant).toContain("#EXT-X-DISCONTINUITY");
    const { stdout } = await execFileP("ffprobe", ["-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", master]);
    // 4 s of episode and at least one 2 s ad.
    expect(Number(stdout.trim())).toBeGreaterThanOrEqual(5.5);
    await execFileP("ffmpeg", ["-v", "error", "-nostdin", "-i", master, "-f", "null", "-"]);
  });

  test("old URLs of imported objects answer a permanent redirect to where they live now", async () => {
    const follow = async (p: string) => {
      const first = await fetch(`${edge.url}${p}`, { redirect: "manual" });
      expect(first.status, p).toBe(301);
      const location = first.headers.get("location")!;
      const final = await fetch(location);
      return { location, status: final.status, type: final.headers.get("content-type"), bytes: Buffer.from(await final.arrayBuffer()) };
    };
    const poster = await follow(media(`image/${OLD.star}`));
    expect(poster).toMatchObject({ status: 200, type: "image/png" });
    expect(poster.location).toContain(`/films/${OLD.star}/poster/import-`);

    const playlist = await follow(media(`line1/${fixture.names.starEpisode}`));
    expect(playlist.location).toBe(`${edge.url}/api/v1/resource/media_list/line1/${OLD.star}/${encodeURIComponent("第1集")}`);
    expect(playlist.bytes.toString()).toContain("#EXT-X-STREAM-INF");

    const segment = await follow(media(`line1/${fixture.names.starSegment0}`));
    expect(segment.status).toBe(200);
    expect(segment.bytes).toEqual(readFileSync(path.join(work, "minio", "line1", fixture.names.starSegment0)));

    const image = await follow(media(`advertisement/${fixture.names.webAdImage}`));
    expect(image).toMatchObject({ status: 200, type: "image/png" });
    const adPlaylist = await follow(media(`advertisement/${fixture.names.filmAdPlaylist}`));
    // The ad's own playlist route (never a raw stored playlist): a master with absolute variant URIs.
    expect(adPlaylist.bytes.toString()).toMatch(/#EXT-X-STREAM-INF[^\n]*\n[^\n]*\/ad_list\//);
    const adSegment = await follow(media(`advertisement/${OLD.filmAd}-1.ts`));
    expect(adSegment.bytes).toEqual(readFileSync(path.join(work, "minio", "advertisement", `${OLD.filmAd}-1.ts`)));

    // Not imported, or never served: 404 with a reason, not a redirect.
    for (const p of [`image/${OLD.phantom}`, `line1/${OLD.star}-2-original-file.mp4`, `line1/${OLD.star}-3-0.ts`, `advertisement/${OLD.filmAd}-original-file.mp4`]) {
      const res = await fetch(`${edge.url}${media(p)}`, { redirect: "manual" });
      expect(res.status, p).toBe(404);
      expect(((await res.json()) as { reason: string }).reason).toBeTruthy();
    }
  });

  test("ads keep their types and expiry", async () => {
    const web = await api<{ URL: string }>("/api/v1/affair/ad/WEB");
    expect(web.status).toBe(200);
    expect(web.body.URL).toBe(`${edge.url}/api/v1/resource/media/ads/${OLD.webAd}/image.png`);
    expect((await api("/api/v1/affair/ad/WEB_BAR")).status).toBe(404);
    const film = await api<{ URL: string }>("/api/v1/affair/ad/FILM");
    expect(film.body.URL).toContain(`/ad_list/${OLD.filmAd}/master.m3u8`);
    const created = edge.sql<{ created_at: number; expires_at: number }>(`SELECT created_at, expires_at FROM ads WHERE id = '${OLD.expiredAd}'`)[0]!;
    expect(created.expires_at).toBe(-62_135_596_800_000);
    expect(created.created_at).toBeLessThan(fixture.now - 39 * 86_400_000);
  });

  test("a second run changes nothing", async () => {
    const before = snapshot();
    const again = await runImport(args);
    expect(again.code).toBe(1);
    expectOnlyKnownFailures(again);
    expect(again.lines.filter((l) => l.startsWith("imported"))).toEqual([]);
    expect(snapshot()).toEqual(before);
  });

  test("--retranscode queues the real ladder from the old segments once, and the imported version plays meanwhile", async () => {
    const run = await runImport([...args, "--retranscode"]);
    expect(run.lines.filter((l) => l.startsWith("imported episode")), run.stderr).toHaveLength(3);
    const res = await fetch(`${edge.url}/api/v1/admin/jobs?limit=100`, { headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } });
    const jobs = ((await res.json()) as { jobs: Array<{ kind: string; target: { filmId?: string; route?: string; episode?: string } }> }).jobs;
    const targets = jobs.filter((j) => j.kind === "episode").map((j) => `${j.target.route}/${j.target.episode}`);
    expect(targets.sort()).toEqual(["line.2/正片", "line1/2", "line1/第1集"].sort());
    expect((await fetch(`${edge.url}/api/v1/resource/media_list/line1/${OLD.star}/2`)).status).toBe(200);

    const again = await runImport([...args, "--retranscode"]);
    expect(again.lines.filter((l) => l.startsWith("imported"))).toEqual([]);
    expect(again.lines.filter((l) => l.startsWith("skipped episode"))).toHaveLength(3);
    // A plain run afterwards does not put the old HLS back over the transcodes.
    const plain = await runImport(args);
    expect(plain.lines.filter((l) => l.startsWith("imported"))).toEqual([]);
  });
});
