// The admin CLI against the real edge under `wrangler dev`: a ~20 MiB clip in 8 MiB parts,
// interrupted after its first part and resumed, assembled byte-exact in R2; then the CLI follows
// the job while this test plays the transcoder through the signed URLs and callbacks.
// The CLI reaches the edge through a proxy that holds every later part of the first run: the run is
// killed while exactly one part is recorded, whatever the machine's load (no race with the upload).
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { JobUrls } from "../../schema/jobs";
import { signGrant, signRequest } from "../../schema/signing";
import { AdminClient } from "../../scripts/harness/admin-client";
import { type HostileProxy, startHostileProxy } from "../support/hostile-proxy";
import { type DevEdge, ROOT, startEdge, TEST_ADMIN_TOKEN, TEST_SIGNING_SECRET, waitFor } from "../support/stack";

let edge: DevEdge;
let proxy: HostileProxy;
let dir: string;
let clip: string;
const running: { kill(): void; child: ChildProcess }[] = [];

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "upload-cli-"));
  clip = path.join(dir, "clip.avi");
  // ~21 MiB of real video: uncompressed frames keep the size predictable and generation instant.
  const ff = spawnSync("ffmpeg", ["-v", "error", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=25", "-t", "7.3", "-c:v", "rawvideo", "-pix_fmt", "yuv420p", "-y", clip]);
  if (ff.status !== 0) throw new Error(`ffmpeg failed: ${ff.stderr}`);
  proxy = await startHostileProxy();
  // No transcoder in this test: the bridge's deliveries fail harmlessly on a closed port. The part
  // URLs the edge hands out point at the proxy.
  edge = await startEdge({ vars: { TRANSCODER_URL: "http://127.0.0.1:9", PUBLIC_BASE_URL: proxy.url } });
  proxy.target = edge.url;
});

afterAll(async () => {
  for (const r of running) if (r.child.exitCode === null && r.child.signalCode === null) r.kill();
  await edge?.stop();
  await proxy?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});


async function signed(route: string, body: unknown) {
  const text = body === "" ? "" : JSON.stringify(body);
  const headers = await signRequest(TEST_SIGNING_SECRET, "POST", route, text);
  return fetch(`${edge.url}${route}`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: text });
}

function runCli(args: string[], stateDir: string) {
  const child: ChildProcess = spawn(path.join(ROOT, "node_modules/.bin/tsx"), ["scripts/upload.ts", ...args], {
    cwd: ROOT,
    env: { ...process.env, UPLOAD_STATE_DIR: stateDir, ADMIN_TOKEN: TEST_ADMIN_TOKEN },
    stdio: ["ignore", "pipe", "pipe"],
    // tsx runs the script in a child process: a group lets the test kill both at once.
    detached: true,
  });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (d) => (stdout += d));
  child.stderr!.on("data", (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const kill = () => {
    try {
      process.kill(-child.pid!, "SIGKILL");
    } catch {
      // already gone
    }
  };
  running.push({ kill, child });
  return { child, exited, kill, out: () => stdout, err: () => stderr };
}

it("uploads, resumes after an interruption, assembles byte-exact, and follows the job to the end", async () => {
  const filmId = await new AdminClient(edge.url, TEST_ADMIN_TOKEN).createFilm({ title: "CLI upload", type: "MOVIE", category: "MOVIE_ACTION", location: "US" });
  const stateDir = path.join(dir, "state");
  const args = [clip, "--film", filmId, "--route", "line1", "--episode", "1", "--state", "now streaming", "--edge", proxy.url, "--part-size", "8", "--concurrency", "1", "--poll", "0.3"];
  const size = statSync(clip).size;
  expect(size).toBeGreaterThan(16 * 1024 * 1024);

  // First run: part 1 goes through; part 2 is held (never forwarded) and the run is killed meanwhile.
  // "Held" means the proxy has read part 2 and is in this decision: a part merely seen (its headers) could
  // still be reading its body when the decision below is swapped for "forward", and then be stored.
  let cut: () => void = () => {};
  const cutDone = new Promise<void>((resolve) => (cut = resolve));
  const laterPart = /\/parts\/([2-9]|\d\d+)$/;
  let holding = false;
  proxy.decide = async (req) => {
    if (req.method !== "PUT" || !laterPart.test(req.path)) return { kind: "forward" };
    holding = true;
    await cutDone;
    return { kind: "refuse", status: 503, reason: "held by the test" };
  };
  const first = runCli(args, stateDir);
  const partPut = (n: number) => proxy.seen.find((s) => s.method === "PUT" && s.path.endsWith(`/parts/${n}`));
  await waitFor("part 1 stored and part 2 held", async () => (partPut(1)?.status === 200 && holding) || first.child.exitCode !== null, 60_000);
  expect(first.child.exitCode, first.err()).toBeNull();
  first.kill();
  await first.exited;
  cut();
  proxy.decide = () => ({ kind: "forward" });
  expect(readdirSync(stateDir).length).toBe(1);

  // Second run: resumes (parts already received are not sent again), completes, follows the job.
  const second = runCli(args, stateDir);
  await waitFor("the resume message", async () => /resuming upload [0-9a-f-]{36}: /.test(second.err()) || second.child.exitCode !== null, 60_000);
  expect(second.err(), `first run:\n${first.err()}`).toMatch(/resuming upload [0-9a-f-]{36}: 1 of 3 parts already received/);

  // Play the transcoder once the job is queued.
  let jobId = "";
  await waitFor("the queued job", async () => {
    const m = /transcode job ([0-9a-f-]{36}) queued/.exec(second.err());
    if (m) jobId = m[1]!;
    return Boolean(m);
  }, 60_000);

  // The source in R2 is the file, byte for byte (read through the signed GET route).
  const key = `films/${filmId}/episodes/line1/1/source/${jobId}`;
  const token = await signGrant(TEST_SIGNING_SECRET, { u: "job-source", m: "GET", k: key, e: Math.floor(Date.now() / 1000) + 600, j: jobId });
  const stored = await fetch(`${edge.url}/api/v1/internal/objects/${key}?token=${token}`);
  expect(stored.status).toBe(200);
  const digest = (b: Buffer | Uint8Array) => createHash("sha256").update(b).digest("hex");
  expect(digest(new Uint8Array(await stored.arrayBuffer()))).toBe(digest(readFileSync(clip)));

  expect((await signed(`/api/v1/internal/jobs/${jobId}/progress`, { progress: 0.5, attempt: 1 })).status).toBe(200);
  const urls = JobUrls.parse(await (await signed(`/api/v1/internal/jobs/${jobId}/urls`, "")).json());
  for (const [rel, body] of [
    ["360p/index.m3u8", "#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXTINF:4.0,\nseg_00000.ts\n#EXT-X-ENDLIST\n"],
    ["master.m3u8", "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=800000,RESOLUTION=320x240\n360p/index.m3u8\n"],
  ] as const) {
    const res = await fetch(`${urls.outputBase}${rel}?token=${urls.outputToken}`, { method: "PUT", body });
    expect(res.status).toBe(201);
  }
  const outputPrefix = new URL(urls.outputBase).pathname.replace("/api/v1/internal/objects/", "");
  const complete = await signed(`/api/v1/internal/jobs/${jobId}/complete`, {
    outputPrefix,
    master: "master.m3u8",
    duration: 7.3,
    segmentCount: 2,
    renditions: [{ name: "360p", bandwidth: 800_000, width: 320, height: 240, codecs: "avc1.64000d,mp4a.40.2", playlist: "360p/index.m3u8" }],
  });
  expect(complete.status).toBe(200);

  const code = await second.exited;
  expect(code, second.err()).toBe(0);
  const result = JSON.parse(second.out().trim().split("\n").pop()!) as Record<string, unknown>;
  expect(result).toMatchObject({ jobId, key, status: "complete", error: null });
  // The transcode progress was drawn on stderr, and the resume file is gone.
  expect(second.err()).toMatch(/transcode \[/);
  expect(existsSync(stateDir) ? readdirSync(stateDir) : []).toEqual([]);

  const rows = edge.sql<{ status: string; hls_prefix: string }>(`SELECT status, hls_prefix FROM episodes WHERE film_id = '${filmId}'`);
  expect(rows).toEqual([{ status: "ready", hls_prefix: outputPrefix }]);
  expect(edge.sql<{ n: number }>(`SELECT count(*) AS n FROM upload_parts`)).toEqual([{ n: 0 }]);
});

it("refuses bad arguments with a usage message and exit code 2", async () => {
  const cli = runCli([clip, "--film", "x"], path.join(dir, "state2"));
  expect(await cli.exited).toBe(2);
  expect(cli.err()).toMatch(/--film, --route and --episode are required/);
  const wrong = runCli([clip, "--film", "not-a-uuid", "--route", "line1", "--episode", "1", "--edge", edge.url], path.join(dir, "state2"));
  expect(await wrong.exited).toBe(2);
  expect(wrong.err()).toMatch(/starting the upload: 400 .*filmId/);
});
