// An export of the old system, made the way it made its data (docs/migration.md): mongoexport lines in
// relaxed and canonical Extended JSON v2 (nulls for empty people, version-1 UUIDs, split FilmRoute
// documents, duplicate day documents, a phantom film, a bad document and a broken line) and an
// `mc mirror` of MinIO with the old worker's single-rendition MPEG-TS HLS (ffmpeg, flattened names) and
// posters stored without an extension.
import { execFile } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
const DAY = 86_400_000;

export const OLD = {
  /** Relaxed JSON; two routes documents for line1, duplicate day documents, a Unicode episode. */
  star: "6f1c2e3a-8e7b-11ef-9c3a-0242ac120005",
  /** Canonical JSON; null people, empty state and language, views only long ago. */
  classic: "7a2d3f4b-8e7b-11ef-9c3a-0242ac120005",
  /** Valid, but its episode's playlist is missing from MinIO. */
  lost: "8b3e4a5c-8e7b-11ef-9c3a-0242ac120005",
  phantom: "9c4f5b6d-8e7b-11ef-9c3a-0242ac120005",
  filmAd: "a1b2c3d4-8e7b-11ef-9c3a-0242ac120005",
  webAd: "b2c3d4e5-8e7b-11ef-9c3a-0242ac120005",
  expiredAd: "c3d4e5f6-8e7b-11ef-9c3a-0242ac120005",
} as const;

/** A 1×1 PNG. */
export const PNG = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=", "base64");

const oid = (seconds: number, n: number) => seconds.toString(16).padStart(8, "0") + n.toString(16).padStart(16, "0");
const midnight = (ms: number) => Math.floor(ms / DAY) * DAY;
const relaxedDate = (ms: number) => ({ $date: new Date(ms).toISOString().replace(".000Z", "Z") });
const canonicalDate = (ms: number) => ({ $date: { $numberLong: String(ms) } });
const int = (n: number) => ({ $numberInt: String(n) });
const long = (n: number) => ({ $numberLong: String(n) });

/** The old worker's command (ffmpeg-go, options sorted), tiny: `<dir>/<stem>.m3u8` + `<stem>-<n>.ts`. */
async function oldWorkerHls(dir: string, stem: string, seconds: number) {
  mkdirSync(dir, { recursive: true });
  await run("ffmpeg", [
    ...["-hide_banner", "-loglevel", "error", "-nostdin", "-y"],
    ...["-f", "lavfi", "-i", `testsrc=size=160x90:rate=25:duration=${seconds}`],
    ...["-f", "lavfi", "-i", `sine=frequency=440:sample_rate=44100:duration=${seconds}`],
    ...["-c:v", "libx264", "-preset", "ultrafast", "-profile:v", "baseline", "-level", "3.0", "-pix_fmt", "yuv420p", "-g", "25", "-sc_threshold", "0"],
    ...["-c:a", "aac", "-b:a", "32k", "-shortest"],
    ...["-f", "hls", "-hls_list_size", "0", "-hls_time", "1", "-start_number", "0"],
    ...["-hls_segment_filename", path.join(dir, `${stem}-%d.ts`), path.join(dir, `${stem}.m3u8`)],
  ]);
}

export interface OldExport {
  dir: string;
  now: number;
  /** Old object names, for the old-URL checks. */
  names: { starEpisode: string; starSegment0: string; filmAdPlaylist: string; webAdImage: string };
}

export async function buildOldExport(dir: string, now = Date.now()): Promise<OldExport> {
  const mongo = path.join(dir, "mongo");
  const minio = path.join(dir, "minio");
  mkdirSync(mongo, { recursive: true });
  const t = Math.floor(now / 1000) - 40 * 86400;
  const created = (t - 86400) * 1000;
  const today = midnight(now);

  const films = [
    // relaxed, as mongoexport writes by default
    JSON.stringify({
      _id: { $oid: oid(t, 1) },
      id: OLD.star,
      title: "星际穿越",
      type: "TV_SERIES",
      category: "TV_SERIES_CN_SERIES",
      location: "MAIN_LAND",
      language: "国语",
      release_year: 2014,
      resource: `/api/v1/resource/media/image/${OLD.star}`,
      state: "更新至第2集",
      popularity: 6,
      introduction: "一段\n介绍",
      actors: ["马修", "安妮"],
      directors: null,
      update_at: relaxedDate(created + 5000),
      created_at: relaxedDate(created),
    }),
    // canonical (--jsonFormat=canonical)
    JSON.stringify({
      _id: { $oid: oid(t, 2) },
      id: OLD.classic,
      title: "Old Classic",
      type: "MOVIE",
      category: "MOVIE_DRAMA",
      location: "US",
      language: "",
      release_year: long(0),
      resource: `/api/v1/resource/media/image/${OLD.classic}`,
      state: "",
      popularity: int(20),
      introduction: "An old film.",
      actors: null,
      directors: null,
      update_at: canonicalDate(created + 9000),
      created_at: canonicalDate(created + 1000),
    }),
    JSON.stringify({
      _id: { $oid: oid(t, 3) },
      id: OLD.lost,
      title: "Lost Episode",
      type: "ANIMATE",
      category: "ANIMATE_ANIMATE",
      location: "JP",
      language: "日本語",
      release_year: 2001,
      resource: `/api/v1/resource/media/image/${OLD.lost}`,
      state: "",
      popularity: 0,
      introduction: "",
      actors: [],
      directors: ["宫崎"],
      update_at: relaxedDate(created + 2000),
      created_at: relaxedDate(created + 2000),
    }),
    // a view of a deleted film, upserted from the old cache
    JSON.stringify({ _id: { $oid: oid(t, 4) }, id: OLD.phantom, popularity: 3 }),
    // a bad document: an enum name the old API never had
    JSON.stringify({ _id: { $oid: oid(t, 5) }, id: "d5e6f7a8-8e7b-11ef-9c3a-0242ac120005", title: "Bad", type: "CARTOON", category: "ALL_CATEGORY", location: "ALL_LOCATION", update_at: relaxedDate(created), created_at: relaxedDate(created) }),
    "{not json",
  ];
  writeFileSync(path.join(mongo, "Film.json"), `${films.join("\n")}\n`);

  // Two documents for one (film, route), each with part of the episodes (concurrent upserts).
  const routes = [
    { _id: { $oid: oid(t, 11) }, id: OLD.star, route: "line1", episodes: ["第1集"] },
    { _id: { $oid: oid(t, 12) }, route: "line1", id: OLD.star, episodes: ["2"] },
    { _id: { $oid: oid(t, 13) }, id: OLD.classic, route: "line.2", episodes: ["正片"] },
    { _id: { $oid: oid(t, 14) }, id: OLD.classic, route: "line3", episodes: [] },
    // "1" has no playlist in MinIO; "a/b" cannot be a name (a slash): both fail alone.
    { _id: { $oid: oid(t, 15) }, id: OLD.lost, route: "line1", episodes: ["1", "a/b"] },
  ];
  writeFileSync(path.join(mongo, "FilmRoute.json"), `${routes.map((r) => JSON.stringify(r)).join("\n")}\n`);

  const days = [
    { _id: { $oid: oid(t, 21) }, id: OLD.star, created_at: relaxedDate(today), popularity: 3 },
    { _id: { $oid: oid(t, 22) }, created_at: relaxedDate(today), id: OLD.star, popularity: 2 },
    { _id: { $oid: oid(t, 23) }, id: OLD.star, created_at: relaxedDate(today - 3 * DAY), popularity: 1 },
    { _id: { $oid: oid(t, 24) }, id: OLD.classic, created_at: canonicalDate(today - 30 * DAY), popularity: int(20) },
    { _id: { $oid: oid(t, 25) }, id: OLD.phantom, created_at: relaxedDate(today), popularity: 3 },
  ];
  writeFileSync(path.join(mongo, "FilmPopularity.json"), `${days.map((d) => JSON.stringify(d)).join("\n")}\n`);

  const ad = (n: number, expire: unknown, file: string) => JSON.stringify({ _id: { $oid: oid(t, n) }, expire_at: expire, bucket: "advertisement", file });
  writeFileSync(path.join(mongo, "FILM.json"), `${ad(31, relaxedDate(now + 365 * DAY), `${OLD.filmAd}.m3u8`)}\n`);
  writeFileSync(path.join(mongo, "WEB.json"), `${ad(32, relaxedDate(now + 365 * DAY), `${OLD.webAd}-original-file.png`)}\n`);
  // An expired_time that was not RFC 3339 was stored as Go's zero time.
  writeFileSync(path.join(mongo, "WEB_BAR.json"), `${ad(33, { $date: { $numberLong: "-62135596800000" } }, `${OLD.expiredAd}-original-file.png`)}\n`);
  writeFileSync(path.join(mongo, "WEB_CORNER.json"), "");
  writeFileSync(path.join(mongo, "UNKNOWN.json"), "");

  mkdirSync(path.join(minio, "image"), { recursive: true });
  writeFileSync(path.join(minio, "image", OLD.star), PNG);
  writeFileSync(path.join(minio, "image", OLD.classic), PNG);
  await oldWorkerHls(path.join(minio, "line1"), `${OLD.star}-第1集`, 4);
  await oldWorkerHls(path.join(minio, "line1"), `${OLD.star}-2`, 3);
  await oldWorkerHls(path.join(minio, "line.2"), `${OLD.classic}-正片`, 3);
  // The source the worker kept, and a stray segment of a deleted episode: neither is imported.
  writeFileSync(path.join(minio, "line1", `${OLD.star}-2-original-file.mp4`), "source");
  writeFileSync(path.join(minio, "line1", `${OLD.star}-3-0.ts`), "stray");
  await oldWorkerHls(path.join(minio, "advertisement"), OLD.filmAd, 2);
  writeFileSync(path.join(minio, "advertisement", `${OLD.filmAd}-original-file.mp4`), "source");
  writeFileSync(path.join(minio, "advertisement", `${OLD.webAd}-original-file.png`), PNG);
  writeFileSync(path.join(minio, "advertisement", `${OLD.expiredAd}-original-file.png`), PNG);

  return {
    dir,
    now,
    names: {
      starEpisode: `${OLD.star}-第1集.m3u8`,
      starSegment0: `${OLD.star}-第1集-0.ts`,
      filmAdPlaylist: `${OLD.filmAd}.m3u8`,
      webAdImage: `${OLD.webAd}-original-file.png`,
    },
  };
}
