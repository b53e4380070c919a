// One ready episode and two ready FILM ads with small real HLS (ffmpeg from lavfi sources, in the
// transcoder's layout: <prefix><rendition>/index.m3u8 + seg_NNNNN.ts), for the playback and catalog
// benches. Rows go into D1 before the edge starts (SQL on its state dir); files go into R2 through the
// edge's signed PUT route, the transcoder's way in (test/e2e/load-playlists.test.ts does the same).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { encodeHlsRendition, runningJobSql, storeDir } from "../../test/support/hls-media";
import { BENCH_SIGNING_SECRET, sql } from "./services";


const RENDITIONS = [
  { name: "180p", width: 320, height: 180, bandwidth: 450_000, kbps: "300k" },
  { name: "90p", width: 160, height: 90, bandwidth: 220_000, kbps: "120k" },
];

export interface HlsFixture {
  filmId: string;
  route: string;
  episode: string;
  contentPrefix: string;
  contentSeconds: number;
  segmentSeconds: number;
  jobId: string;
  ads: { id: string; job: string; prefix: string }[];
  renditions: string[];
  /** Local files to PUT once the edge runs. */
  dir: string;
}

const renditionJson = () =>
  JSON.stringify(RENDITIONS.map((r) => ({ name: r.name, bandwidth: r.bandwidth, width: r.width, height: r.height, codecs: "avc1.42c00d,mp4a.40.2", playlist: `${r.name}/index.m3u8` })));

/** Encodes the media and inserts the rows (the edge must not run yet). */
export async function prepareHlsFixture(persistDir: string, opts: { contentSeconds: number; adSeconds: number; segmentSeconds: number }): Promise<HlsFixture> {
  const filmId = crypto.randomUUID();
  const jobId = crypto.randomUUID();
  const contentPrefix = `films/${filmId}/episodes/line1/1/hls/${jobId}/`;
  const ads = [0, 1].map(() => {
    const id = crypto.randomUUID();
    const job = crypto.randomUUID();
    return { id, job, prefix: `ads/${id}/hls/${job}/` };
  });
  const dir = mkdtempSync(path.join(tmpdir(), "bench-hls-"));
  await Promise.all([
    ...RENDITIONS.map((r) => encodeHlsRendition(path.join(dir, "content", r.name), r, "testsrc2", opts.contentSeconds, opts.segmentSeconds)),
    ...RENDITIONS.map((r) => encodeHlsRendition(path.join(dir, "ad", r.name), r, "color=c=red", opts.adSeconds, 2)),
  ]);
  const now = Date.now();
  sql(
    persistDir,
    // The jobs stay "running": their output grants must work when the files go in, after the edge starts.
    runningJobSql(jobId, contentPrefix, now) +
      ads.map((a) => runningJobSql(a.job, a.prefix, now)).join("") +
      `INSERT INTO films (id, title, type, category, location, created_at, updated_at) VALUES ('${filmId}', 'bench film', 'MOVIE', 'MOVIE_DRAMA', 'US', ${now}, ${now});` +
      "INSERT INTO episodes (film_id, route, episode, status, job_id, hls_prefix, master_key, duration, renditions, created_at, updated_at) VALUES " +
      `('${filmId}', 'line1', '1', 'ready', '${jobId}', '${contentPrefix}', '${contentPrefix}master.m3u8', ${opts.contentSeconds}, '${renditionJson()}', ${now}, ${now});` +
      ads
        .map(
          (a) =>
            "INSERT INTO ads (id, type, status, asset_key, hls_prefix, job_id, duration, renditions, expires_at, created_at) VALUES " +
            `('${a.id}', 'FILM', 'ready', '${a.prefix}master.m3u8', '${a.prefix}', '${a.job}', ${opts.adSeconds}, '${renditionJson()}', ${now + 86_400_000}, ${now});`,
        )
        .join(""),
  );
  return {
    filmId,
    route: "line1",
    episode: "1",
    contentPrefix,
    contentSeconds: opts.contentSeconds,
    segmentSeconds: opts.segmentSeconds,
    jobId,
    ads,
    renditions: RENDITIONS.map((r) => r.name),
    dir,
  };
}

/** Puts the fixture's files into the running edge's R2, then removes the local copies. */
export async function storeHlsFixture(edgeUrl: string, f: HlsFixture) {
  await storeDir(edgeUrl, BENCH_SIGNING_SECRET, path.join(f.dir, "content"), f.contentPrefix, f.jobId);
  for (const a of f.ads) await storeDir(edgeUrl, BENCH_SIGNING_SECRET, path.join(f.dir, "ad"), a.prefix, a.job);
  rmSync(f.dir, { recursive: true, force: true });
}
