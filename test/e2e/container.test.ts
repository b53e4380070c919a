// The containerised transcoder, for real (issue 16): transcoder/Dockerfile is built with podman
// (scripts/container.sh: the real node:22-slim when a registry answers, else the stand-in base made once per
// machine; layers cached), the image runs as user `node` on the host network against `wrangler dev` and a
// Redis of its own, and a FILM ad and an episode go through it: upload → Queue → bridge → the container's
// intake → ffmpeg in the container → signed PUTs → ready → playback. The container writes fMP4 (CMAF), so
// the stitched playlist ffmpeg decodes here splices the ad's fMP4 ladder into fMP4 content.
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, expect, it } from "vitest";
import { parseMasterPlaylist } from "../../edge/hls/m3u8";
import * as keys from "../../schema/keys";
import { AdminClient } from "../../scripts/harness/admin-client";
import { requestOnce } from "../../scripts/harness/http";
import { makeAdClip, makeClip } from "../../scripts/harness/media";
import { type Harness, QUEUE_NAME, createFilm, finished, inspect, startHarness, uploadEpisode, waitForJob } from "../support/edge-harness";
import { decodedSecondsByPeriod } from "../support/hls-media";
import { ROOT, TEST_ADMIN_TOKEN, TEST_SIGNING_SECRET, waitFor } from "../support/stack";

const run = promisify(execFile);
const SCRIPT = path.join(ROOT, "scripts/container.sh");
const NAME = `edge-stream-transcoder-test-${process.pid}`;
const CONTENT_SECONDS = 6;
const AD_SECONDS = 2;

let h: Harness;
let work: string;
let started = false;

/** podman with the project's settings (scripts/containers.conf), as scripts/container.sh runs it. */
const podman = (...args: string[]) =>
  run("podman", args, { env: { ...process.env, CONTAINERS_CONF: path.join(ROOT, "scripts/containers.conf") }, maxBuffer: 64 * 1024 * 1024 });

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), "container-e2e-"));
  // Cold (no base image, no layers) this is minutes; warm, seconds.
  const built = Date.now();
  await run("bash", [SCRIPT, "build"], { maxBuffer: 64 * 1024 * 1024 });
  console.log(`container image built in ${((Date.now() - built) / 1000).toFixed(1)} s`);
  h = await startHarness({ vars: { AD_BREAKS: "pre,0.5" } });
  const envFile = path.join(work, "transcoder.env");
  writeFileSync(
    envFile,
    Object.entries({
      EDGE_URL: h.edge.url,
      SIGNING_SECRET: TEST_SIGNING_SECRET,
      REDIS_URL: h.redis.url,
      QUEUE_NAME,
      INTAKE_HOST: "127.0.0.1",
      INTAKE_PORT: String(h.intakePort),
      LADDER: "360:800,240:400",
      X264_PRESET: "ultrafast",
      SEGMENT_SECONDS: "2",
      SEGMENT_FORMAT: "fmp4",
      PROGRESS_INTERVAL_MS: "500",
      JOB_BACKOFF_MS: "1000",
    })
      .map(([k, v]) => `${k}=${v}`)
      .join("\n") + "\n",
  );
  await run("bash", [SCRIPT, "run", envFile, NAME]);
  started = true;
  const running = async () => (await podman("inspect", "-f", "{{.State.Running}}", NAME).catch(() => ({ stdout: "false" }))).stdout.trim() === "true";
  await waitFor("the container's /healthz", async () => (await fetch(`${h.intakeUrl}/healthz`).catch(() => null))?.ok === true, 60_000);
  expect(await running()).toBe(true);
}, 15 * 60_000);

afterAll(async () => {
  if (started) {
    const logs = await podman("logs", NAME).catch(() => ({ stdout: "", stderr: "" }));
    if (process.env.CONTAINER_LOGS) console.log(logs.stdout + logs.stderr);
    await run("bash", [SCRIPT, "stop", NAME]).catch(() => undefined);
  }
  await h?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
}, 120_000);

it("runs as user node and answers /healthz from inside the image", async () => {
  expect((await podman("exec", NAME, "id", "-un")).stdout.trim()).toBe("node");
  const { stdout } = await podman("exec", NAME, "node", "-e", "fetch('http://127.0.0.1:' + process.env.INTAKE_PORT + '/healthz').then(async (r) => console.log(r.status, await r.text()))");
  expect(stdout).toMatch(/^200 /);
});

it("transcodes an uploaded ad and episode in the container; every stitched fMP4 variant decodes in ffmpeg over HTTP, period by period", async () => {
  const admin = new AdminClient(h.edge.url, TEST_ADMIN_TOKEN);
  const ad = await admin.uploadAd("FILM", makeAdClip(path.join(work, "ad.mp4"), AD_SECONDS), new Date(Date.now() + 86_400_000));
  expect((await waitForJob(h, ad.jobId!, finished, 120_000)).status).toBe("complete");
  const filmId = await createFilm(h, "containerised transcoder");
  const clip = makeClip(path.join(work, "content.mp4"), { pattern: "testsrc2", tone: 440, seconds: CONTENT_SECONDS, width: 640, height: 360 });
  const jobId = await uploadEpisode(h, filmId, "line1", "1", clip);
  expect(await waitForJob(h, jobId, finished, 120_000)).toMatchObject({ status: "complete", progress: 1, error: null });

  // The container said so in its log, and its output is fMP4 in R2.
  const { stdout, stderr } = await podman("logs", NAME);
  expect(stdout + stderr).toMatch(new RegExp(`job ${jobId}: accepted`));
  const prefix = keys.episodeOutputPrefix(filmId, "line1", "1", jobId);
  const stored = await inspect(h, (s) => s.list(prefix));
  expect(stored).toContain(`${prefix}${keys.initSegment("360p")}`);
  expect(stored.some((k) => k.endsWith(".m4s"))).toBe(true);

  // The ad in both containers: fMP4 (this transcoder's SEGMENT_FORMAT) and MPEG-TS under ts/.
  const adKeys = await inspect(h, (s) => s.list(keys.adPrefix(ad.id)));
  expect(adKeys.some((k) => k.endsWith(`/${keys.alternateDir("ts")}240p/seg_00000.ts`))).toBe(true);
  expect(adKeys.some((k) => k.endsWith("/240p/init_240p.mp4"))).toBe(true);

  const masterUrl = `${h.edge.url}/api/v1/resource/media_list/line1/${filmId}/1`;
  const res = await requestOnce(masterUrl, { method: "GET" });
  expect(res.status).toBe(200);
  const master = parseMasterPlaylist(res.text);
  expect(master.variants.map((v) => v.height)).toEqual([360, 240]);
  for (const v of master.variants) {
    const text = (await requestOnce(v.uri, { method: "GET" })).text;
    expect(text.match(/^#EXT-X-CUE-OUT/gm)).toHaveLength(2);
    expect(text).toMatch(/#EXT-X-MAP:URI="[^"]*\/ads\/[^"]*\/init_[^"]*\.mp4"\n#EXT-X-CUE-OUT/);
    expect(text).not.toMatch(/\.ts(\?|$)/m);
  }
  // Each variant decodes whole over HTTP: ad, content, ad, content, period by period (see decodedSecondsByPeriod).
  for (const v of master.variants) {
    const periods = await decodedSecondsByPeriod((await requestOnce(v.uri, { method: "GET" })).text, work);
    expect(periods).toHaveLength(4);
    const total = periods.reduce((a, p) => a + Math.min(...Object.values(p)), 0);
    expect(periods.every((p) => Object.keys(p).length === 2), JSON.stringify(periods)).toBe(true);
    expect(Math.abs(total - (CONTENT_SECONDS + 2 * AD_SECONDS)), JSON.stringify(periods)).toBeLessThan(0.5);
  }
}, 300_000);
