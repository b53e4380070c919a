// HLS fixtures for tests and benchmarks that drive a running edge: tiny renditions encoded by
// ffmpeg from lavfi sources, then put into the edge's R2 the way the transcoder does (signed PUTs
// to the internal objects route under one job-output grant, which the edge honours only while its
// job row is queued or running: insert it with runningJobSql first, finish it with completeJobSql).
import { execFile, spawn } from "node:child_process";
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
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

/**
 * ffmpeg -f framecrc: per stream, the sum of the decoded frames' durations, in seconds.
 *
 * `-http_persistent 0`: ffmpeg 5.1 (Debian 12) reuses a keep-alive connection for the next segment and then
 * sends the previous byte range's end again (`Range: bytes=0-14851` for a whole-file segment that follows a
 * byte-range one), so it truncates that segment itself. Our answers are right (the requests show it); a
 * playlist that mixes byte-range and whole-file segments needs this flag with that ffmpeg. The transcoder
 * writes whole-file segments only, so production playlists never mix them.
 */
export async function decodedSeconds(url: string, inputOptions: string[] = []): Promise<{ seconds: Record<string, number>; log: string }> {
  const args = ["-hide_banner", "-nostdin", "-loglevel", "warning", "-http_persistent", "0", ...inputOptions, "-i", url, "-map", "0:v", "-map", "0:a", "-f", "framecrc", "-"];
  const child = spawn("ffmpeg", args);
  let out = "";
  let log = "";
  child.stdout.on("data", (d) => (out += d));
  child.stderr.on("data", (d) => (log += d));
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  if (code !== 0) throw new Error(`ffmpeg exited ${code}:\n${log}`);
  const timebase: Record<string, number> = {};
  const sums: Record<string, number> = {};
  for (const line of out.split("\n")) {
    const tb = /^#tb (\d+): (\d+)\/(\d+)/.exec(line);
    if (tb) timebase[tb[1]!] = Number(tb[2]) / Number(tb[3]);
    else if (/^\d+,/.test(line)) {
      const [stream, , , duration] = line.split(",").map((s) => s.trim());
      sums[stream!] = (sums[stream!] ?? 0) + Number(duration) * timebase[stream!]!;
    }
  }
  return { seconds: sums, log };
}

/**
 * A stitched media playlist decoded period by period (the runs between EXT-X-DISCONTINUITY tags), each over
 * HTTP from a local playlist of the period's own URIs (its EXT-X-MAP included): seconds decoded per period and
 * stream. ffmpeg 5.1's HLS demuxer cannot cross a discontinuity in fMP4 in one run: it feeds every segment to one
 * mp4 demuxer, which skips a second init segment ("Found duplicated MOOV Atom") and drops the packets whose
 * timestamps restart at the next period. Each period on its own is what a player decodes after its reset.
 */
export async function decodedSecondsByPeriod(playlistText: string, workDir: string): Promise<Array<Record<string, number>>> {
  const lines = playlistText.split("\n");
  const header = lines.filter((l) => /^#EXT(M3U|-X-VERSION|-X-TARGETDURATION|-X-PLAYLIST-TYPE)/.test(l));
  const periods: string[][] = [[]];
  let map = "";
  for (const line of lines) {
    if (line === "#EXT-X-DISCONTINUITY") periods.push(map ? [map] : []);
    else if (line.startsWith("#EXT-X-MAP:")) {
      map = line;
      const cur = periods.at(-1)!;
      if (cur[0]?.startsWith("#EXT-X-MAP:") && cur.length === 1) cur[0] = line;
      else cur.push(line);
    } else if (line.startsWith("#EXTINF") || (line && !line.startsWith("#"))) periods.at(-1)!.push(line);
  }
  const out: Array<Record<string, number>> = [];
  for (const [i, body] of periods.filter((p) => p.some((l) => l.startsWith("#EXTINF"))).entries()) {
    const file = path.join(workDir, `period-${i}.m3u8`);
    writeFileSync(file, [...header, ...body, "#EXT-X-ENDLIST", ""].join("\n"));
    out.push((await decodedSeconds(file, ["-protocol_whitelist", "file,http,tcp"])).seconds);
  }
  return out;
}
