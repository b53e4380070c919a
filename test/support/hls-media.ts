// HLS fixtures for tests and benchmarks that drive a running edge: tiny renditions encoded by
// ffmpeg from lavfi sources, then put into the edge's R2 the way the transcoder does (signed PUTs
// to the internal objects route under one job-output grant, which the edge honours only while its
// job row is queued or running: insert it with runningJobSql first, finish it with completeJobSql).
import { execFile } from "node:child_process";
import { mkdirSync, readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { signGrant } from "../../schema/signing";
import { requestOnce } from "../../scripts/harness/http";

const run = promisify(execFile);

/** One rendition (`index.m3u8` + `seg_%05d.ts` in `out`) of a lavfi `video` source with a 440 Hz tone. */
export async function encodeHlsRendition(
  out: string,
  r: { width: number; height: number; kbps: string },
  video: string,
  seconds: number,
  segment: number,
): Promise<void> {
  mkdirSync(out, { recursive: true });
  await run("ffmpeg", [
    ...["-hide_banner", "-loglevel", "error", "-nostdin", "-y"],
    ...["-f", "lavfi", "-i", `${video}${video.includes("=") ? ":" : "="}size=${r.width}x${r.height}:rate=25:duration=${seconds}`],
    ...["-f", "lavfi", "-i", `sine=frequency=440:sample_rate=48000:duration=${seconds}`],
    ...["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-b:v", r.kbps, "-g", String(25 * segment), "-sc_threshold", "0"],
    ...["-c:a", "aac", "-b:a", "48k", "-shortest"],
    ...["-f", "hls", "-hls_time", String(segment), "-hls_playlist_type", "vod", "-hls_segment_filename", path.join(out, "seg_%05d.ts")],
    path.join(out, "index.m3u8"),
  ]);
}

/** A job row (running) whose output grant may write under `outputPrefix`. */
export const runningJobSql = (jobId: string, outputPrefix: string, now = Date.now()) =>
  "INSERT INTO jobs (id, kind, status, source_key, output_prefix, created_at, updated_at) VALUES " +
  `('${jobId}', '${outputPrefix.startsWith("ads/") ? "ad" : "episode"}', 'running', '${outputPrefix}source', '${outputPrefix}', ${now}, ${now});`;

/** The job's output is whole: its grant writes nothing more. */
export const completeJobSql = (jobId: string) => `UPDATE jobs SET status = 'complete', progress = 1 WHERE id = '${jobId}';`;

/** Every file under `local` stored at `prefix` + its relative path, eight at a time, as job `jobId` (running) writes its output. */
export async function storeDir(edgeUrl: string, secret: string, local: string, prefix: string, jobId: string): Promise<void> {
  const token = await signGrant(secret, { u: "job-output", m: "PUT", p: prefix, e: Math.floor(Date.now() / 1000) + 3600, s: 10 * 1024 * 1024, j: jobId });
  const queue = readdirSync(local, { recursive: true, withFileTypes: true }).filter((d) => d.isFile());
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      for (let d = queue.shift(); d; d = queue.shift()) {
        const file = path.join(d.parentPath, d.name);
        const key = prefix + path.relative(local, file).split(path.sep).join("/");
        const res = await requestOnce(`${edgeUrl}/api/v1/internal/objects/${key}?token=${token}`, { method: "PUT", body: readFileSync(file) });
        if (res.status !== 201) throw new Error(`PUT ${key} → ${res.status} ${res.text}`);
      }
    }),
  );
}
