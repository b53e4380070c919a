// The transcoder's side of a job, played by the test through the same signed URLs and signed
// callbacks the transcoder uses: progress, output upload, complete, fail, URL refresh.
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterAll, describe, expect, it } from "vitest";
import { app } from "../../edge/app";
import { type CompleteCallback, JobUrls } from "../../schema/jobs";
import { signRequest } from "../../schema/signing";
import {
  admin,
  BASE,
  call,
  consumeQueueInTest,
  createFilm,
  files,
  form,
  keysUnder,
  postForm,
  reasonOf,
  rows,
  sha256,
  signedPost,
  waitFor,
} from "./upload-support";

const queue = consumeQueueInTest();
afterAll(() => queue.restore());

const jobPath = (id: string, what: string) => `/api/v1/internal/jobs/${id}/${what}`;

async function uploadEpisode(filmId: string, route: string, episode: string, state?: string): Promise<string> {
  const q = state === undefined ? "" : `?state=${encodeURIComponent(state)}`;
  const res = await postForm(`/api/v1/upload/media/resource/${route}/${filmId}/${episode}${q}`, form({}, { bytes: files.mp4(20_000, 77) }));
  expect(res.status, await res.clone().text()).toBe(200);
  return ((await res.json()) as { jobId: string }).jobId;
}

async function freshUrls(jobId: string): Promise<JobUrls> {
  const res = await signedPost(jobPath(jobId, "urls"), "");
  expect(res.status, await res.clone().text()).toBe(200);
  return JobUrls.parse(await res.json());
}

const local = (url: string) => {
  const u = new URL(url);
  return `${u.pathname}${u.search}`;
};

/** Uploads a small HLS output through the job's signed URLs, as the transcoder would; answers the complete callback's body. */
async function produceOutput(jobId: string, withPoster = true): Promise<CompleteCallback> {
  const urls = await freshUrls(jobId);
  const outputPrefix = new URL(urls.outputBase).pathname.replace("/api/v1/internal/objects/", "");
  const put = async (rel: string, body: string | Uint8Array) => {
    const res = await call(local(`${urls.outputBase}${rel}?token=${urls.outputToken}`), { method: "PUT", body });
    expect(res.status, await res.clone().text()).toBe(201);
  };
  await put("360p/seg_00000.ts", files.mp4(5000));
  await put("360p/index.m3u8", "#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXTINF:4.0,\nseg_00000.ts\n#EXT-X-ENDLIST\n");
  if (withPoster) await put("poster.jpg", files.jpeg());
  await put("master.m3u8", '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=800000,RESOLUTION=640x360,CODECS="avc1.64001e,mp4a.40.2"\n360p/index.m3u8\n');
  return {
    outputPrefix,
    master: "master.m3u8",
    duration: 4,
    segmentCount: 1,
    renditions: [{ name: "360p", bandwidth: 800_000, width: 640, height: 360, codecs: "avc1.64001e,mp4a.40.2", playlist: "360p/index.m3u8" }],
    ...(withPoster ? { poster: "poster.jpg" } : {}),
  };
}

async function job(id: string) {
  const res = await admin(`/api/v1/admin/jobs/${id}`);
  expect(res.status).toBe(200);
  return (await res.json()) as Record<string, unknown>;
}

async function episodeRow(filmId: string, route: string, episode: string) {
  return (await rows<Record<string, unknown>>("SELECT * FROM episodes WHERE film_id = ? AND route = ? AND episode = ?", filmId, route, episode))[0];
}

// Generous: these move megabytes through workerd, and the suite shares 2 cores.
describe("a job's life through the callbacks", { timeout: 30_000 }, () => {
  it("progress → running; complete → episode ready, film state and time, auto poster, job complete; twice is harmless", async () => {
    const filmId = await createFilm();
    const jobId = await uploadEpisode(filmId, "line1", "1", "updated to episode 1");
    const [{ updated_at: createdUpdatedAt }] = (await rows<{ updated_at: number }>("SELECT updated_at FROM films WHERE id = ?", filmId)) as [{ updated_at: number }];

    expect((await signedPost(jobPath(jobId, "progress"), { progress: 0.25, attempt: 2 })).status).toBe(200);
    expect((await signedPost(jobPath(jobId, "progress"), { progress: 0.5, attempt: 1 })).status).toBe(200);
    let j = await job(jobId);
    expect(j).toMatchObject({ id: jobId, kind: "episode", target: { filmId, route: "line1", episode: "1" }, status: "running", progress: 0.5, attempts: 2, error: null, finishedAt: null });
    expect(Date.parse(j.startedAt as string)).toBeGreaterThan(0);
    expect(j.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

    const body = await produceOutput(jobId);
    const done = await signedPost(jobPath(jobId, "complete"), body);
    expect(done.status, await done.clone().text()).toBe(200);
    expect(await done.json()).toMatchObject({ id: jobId, status: "complete", changed: true });

    const prefix = `films/${filmId}/episodes/line1/1/hls/${jobId}/`;
    const ep = await episodeRow(filmId, "line1", "1");
    expect(ep).toMatchObject({ status: "ready", job_id: jobId, hls_prefix: prefix, master_key: `${prefix}master.m3u8`, duration: 4 });
    expect(JSON.parse(ep!.renditions as string)).toEqual(body.renditions);
    const [film] = await rows<{ state: string; updated_at: number; auto_poster_key: string }>("SELECT state, updated_at, auto_poster_key FROM films WHERE id = ?", filmId);
    expect(film!.state).toBe("updated to episode 1");
    expect(film!.updated_at).toBeGreaterThanOrEqual(createdUpdatedAt);
    expect(film!.auto_poster_key).toBe(`${prefix}poster.jpg`);
    j = await job(jobId);
    expect(j).toMatchObject({ status: "complete", progress: 1, error: null });
    expect(Date.parse(j.finishedAt as string)).toBeGreaterThanOrEqual(Date.parse(j.startedAt as string));

    // Again: 200, nothing changes.
    const snapshot = { ep: await episodeRow(filmId, "line1", "1"), film: await rows("SELECT * FROM films WHERE id = ?", filmId), job: await job(jobId) };
    const again = await signedPost(jobPath(jobId, "complete"), body);
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ changed: false });
    expect({ ep: await episodeRow(filmId, "line1", "1"), film: await rows("SELECT * FROM films WHERE id = ?", filmId), job: await job(jobId) }).toEqual(snapshot);
    // A finished job takes no more progress and gets no more URLs: the transcoder should stop.
    await reasonOf(await signedPost(jobPath(jobId, "progress"), { progress: 0.9 }), 409);
    await reasonOf(await signedPost(jobPath(jobId, "urls"), ""), 409);
    // The source stays (DELETE_SOURCE_AFTER_TRANSCODE is false here).
    expect(await env.MEDIA.head(`films/${filmId}/episodes/line1/1/source/${jobId}`)).not.toBeNull();
  });

  it("a new version replaces the old one: the previous prefix is deleted only after the switch", async () => {
    const filmId = await createFilm();
    const v1 = await uploadEpisode(filmId, "line1", "2");
    expect((await signedPost(jobPath(v1, "complete"), await produceOutput(v1))).status).toBe(200);
    const v1Prefix = `films/${filmId}/episodes/line1/2/hls/${v1}/`;
    expect((await keysUnder(v1Prefix)).length).toBe(4);

    const v2 = await uploadEpisode(filmId, "line1", "2", "episode 2 re-cut");
    // While v2 transcodes, v1 keeps playing.
    expect(await episodeRow(filmId, "line1", "2")).toMatchObject({ status: "ready", hls_prefix: v1Prefix, job_id: v2 });
    expect((await keysUnder(v1Prefix)).length).toBe(4);

    const body = await produceOutput(v2, false);
    expect((await signedPost(jobPath(v2, "complete"), body)).status).toBe(200);
    const v2Prefix = `films/${filmId}/episodes/line1/2/hls/${v2}/`;
    expect(await episodeRow(filmId, "line1", "2")).toMatchObject({ status: "ready", hls_prefix: v2Prefix, master_key: `${v2Prefix}master.m3u8` });
    await waitFor("previous version deleted", async () => (await keysUnder(v1Prefix)).length === 0);
    expect((await keysUnder(v2Prefix)).length).toBe(3);
    // The fallback poster came from v1's output, which is gone: it goes too.
    expect((await rows("SELECT state, auto_poster_key FROM films WHERE id = ?", filmId))[0]).toEqual({ state: "episode 2 re-cut", auto_poster_key: null });
  });

  it("a superseded job cannot clobber the newer upload, whatever order the callbacks come in", async () => {
    const filmId = await createFilm();
    const old = await uploadEpisode(filmId, "line1", "3");
    const oldOutput = await produceOutput(old);
    const newer = await uploadEpisode(filmId, "line1", "3");
    expect((await job(old)).status).toBe("superseded");

    // The old job's late callbacks: refused, and its output is discarded.
    await reasonOf(await signedPost(jobPath(old, "progress"), { progress: 0.9 }), 409);
    expect(await reasonOf(await signedPost(jobPath(old, "complete"), oldOutput), 409)).toMatch(/superseded/);
    expect(await episodeRow(filmId, "line1", "3")).toMatchObject({ status: "processing", job_id: newer, hls_prefix: null });
    await waitFor("superseded output deleted", async () => (await keysUnder(oldOutput.outputPrefix)).length === 0);

    expect((await signedPost(jobPath(newer, "complete"), await produceOutput(newer))).status).toBe(200);
    expect(await episodeRow(filmId, "line1", "3")).toMatchObject({ status: "ready", job_id: newer });
    // And once more after the newer one completed.
    await reasonOf(await signedPost(jobPath(old, "complete"), oldOutput), 409);
    expect(await episodeRow(filmId, "line1", "3")).toMatchObject({ status: "ready", job_id: newer, hls_prefix: `films/${filmId}/episodes/line1/3/hls/${newer}/` });
  });

  it("an episode deleted while its job ran: the late complete is discarded and recreates nothing", async () => {
    const filmId = await createFilm();
    const jobId = await uploadEpisode(filmId, "line1", "4");
    const body = await produceOutput(jobId);
    expect((await admin(`/api/v1/upload/media/resource/line1/${filmId}/4`, { method: "DELETE" })).status).toBe(200);
    await reasonOf(await signedPost(jobPath(jobId, "complete"), body), 409);
    expect(await episodeRow(filmId, "line1", "4")).toBeUndefined();
    await waitFor("late output deleted", async () => (await keysUnder(`films/${filmId}/`)).length === 0);
  });

  it("fail: retryable keeps the job going with the error recorded; final marks job and episode failed", async () => {
    const filmId = await createFilm();
    const jobId = await uploadEpisode(filmId, "line1", "5");
    expect((await signedPost(jobPath(jobId, "progress"), { progress: 0.1, attempt: 1 })).status).toBe(200);
    expect((await signedPost(jobPath(jobId, "fail"), { error: "R2 upload timed out", retryable: true, attempt: 1 })).status).toBe(200);
    expect(await job(jobId)).toMatchObject({ status: "running", attempts: 1, error: "R2 upload timed out", finishedAt: null });
    expect((await episodeRow(filmId, "line1", "5"))!.status).toBe("processing");

    const stderr = "moov atom not found\nInvalid data found when processing input";
    const res = await signedPost(jobPath(jobId, "fail"), { error: stderr, retryable: false, attempt: 2 });
    expect(res.status).toBe(200);
    expect(await job(jobId)).toMatchObject({ status: "failed", attempts: 2, error: stderr });
    expect((await episodeRow(filmId, "line1", "5"))!.status).toBe("failed");
    // Twice: harmless.
    expect(await (await signedPost(jobPath(jobId, "fail"), { error: "again", retryable: false })).json()).toMatchObject({ changed: false });
    expect((await job(jobId)).error).toBe(stderr);
  });

  it("a FILM ad job: the ad becomes ready with its master playlist, renditions and duration", async () => {
    const res = await postForm("/api/v1/upload/ad", form({ advertisement_type: "FILM", expired_time: new Date(Date.now() + 86_400_000).toISOString() }, { bytes: files.mp4() }));
    const { id: adId, jobId } = (await res.json()) as { id: string; jobId: string };
    expect(await job(jobId)).toMatchObject({ kind: "ad", target: { adId } });
    // Other test files pick random ready, unexpired FILM ads from the same database: this one
    // expires before it becomes ready, so it never lands in their playlists.
    await rows("UPDATE ads SET expires_at = ? WHERE id = ?", Date.now() - 1000, adId);
    const body = await produceOutput(jobId, false);
    expect(body.outputPrefix).toBe(`ads/${adId}/hls/${jobId}/`);
    expect((await signedPost(jobPath(jobId, "complete"), body)).status).toBe(200);
    const [ad] = await rows<Record<string, unknown>>("SELECT * FROM ads WHERE id = ?", adId);
    expect(ad).toMatchObject({ status: "ready", asset_key: `ads/${adId}/hls/${jobId}/master.m3u8`, hls_prefix: `ads/${adId}/hls/${jobId}/`, duration: 4 });
    expect(JSON.parse(ad!.renditions as string)).toEqual(body.renditions);
    await rows("DELETE FROM ads WHERE id = ?", adId);
  });

  it("with DELETE_SOURCE_AFTER_TRANSCODE=true the source goes once the episode is ready", async () => {
    const filmId = await createFilm();
    const jobId = await uploadEpisode(filmId, "line1", "6");
    const body = JSON.stringify(await produceOutput(jobId));
    const path = jobPath(jobId, "complete");
    const ctx = createExecutionContext();
    const res = await app.fetch(
      new Request(`${BASE}${path}`, { method: "POST", body, headers: { "content-type": "application/json", ...(await signRequest("test-signing-secret", "POST", path, body)) } }),
      { ...env, DELETE_SOURCE_AFTER_TRANSCODE: "true" },
      ctx,
    );
    expect(res.status).toBe(200);
    await waitOnExecutionContext(ctx);
    expect(await env.MEDIA.head(`films/${filmId}/episodes/line1/6/source/${jobId}`)).toBeNull();
    expect((await episodeRow(filmId, "line1", "6"))!.status).toBe("ready");
  });

  it("fresh URLs read the source and write only under the job's prefix", async () => {
    const filmId = await createFilm();
    const jobId = await uploadEpisode(filmId, "line1", "7");
    const urls = await freshUrls(jobId);
    expect(urls.expiresAt).toBeGreaterThan(Date.now() + 5 * 3600 * 1000);
    const src = await call(local(urls.source));
    expect(src.status).toBe(200);
    expect(await sha256(await src.arrayBuffer())).toBe(await sha256(files.mp4(20_000, 77)));
    // The output token does not reach outside the prefix, nor read anything.
    const escape = `films/${filmId}/episodes/line1/7/source/${jobId}`;
    await reasonOf(await call(`/api/v1/internal/objects/${escape}?token=${urls.outputToken}`, { method: "PUT", body: "overwrite" }), 403);
    await reasonOf(await call(local(`${urls.outputBase}master.m3u8?token=${urls.outputToken}`)), 403);
  });
});

describe("callback refusals (nothing changes)", { timeout: 30_000 }, () => {
  it("missing (401), forged, stale, replayed-elsewhere or tampered (403) signatures", async () => {
    const filmId = await createFilm();
    const jobId = await uploadEpisode(filmId, "line1", "1");
    const before = await job(jobId);
    const path = jobPath(jobId, "progress");
    const body = JSON.stringify({ progress: 0.5 });

    await reasonOf(await call(path, { method: "POST", headers: { "content-type": "application/json" }, body }), 401);
    expect(await reasonOf(await signedPost(path, body, { secret: "not-the-secret" }), 403)).toMatch(/signature/);
    expect(await reasonOf(await signedPost(path, body, { now: Date.now() - 10 * 60 * 1000 }), 403)).toMatch(/stale/);
    expect(await reasonOf(await signedPost(path, body, { now: Date.now() + 10 * 60 * 1000 }), 403)).toMatch(/stale/);
    // Signed for another path (the fail callback) or another body.
    const elsewhere = await signRequest("test-signing-secret", "POST", jobPath(jobId, "fail"), body);
    await reasonOf(await call(path, { method: "POST", headers: { "content-type": "application/json", ...elsewhere }, body }), 403);
    const signedFor = await signRequest("test-signing-secret", "POST", path, body);
    await reasonOf(await call(path, { method: "POST", headers: { "content-type": "application/json", ...signedFor }, body: JSON.stringify({ progress: 0.99 }) }), 403);
    expect(await job(jobId)).toEqual(before);
  });

  it("bad bodies (400 naming the field), unknown jobs (404), a wrong prefix or a missing master (400)", async () => {
    const filmId = await createFilm();
    const jobId = await uploadEpisode(filmId, "line1", "2");
    const before = { job: await job(jobId), ep: await episodeRow(filmId, "line1", "2") };
    expect(await reasonOf(await signedPost(jobPath(jobId, "progress"), { progress: 2 }), 400)).toMatch(/progress/);
    expect(await reasonOf(await signedPost(jobPath(jobId, "fail"), { error: "" , retryable: "no" }), 400)).toMatch(/retryable/);
    expect(await reasonOf(await signedPost(jobPath(jobId, "complete"), { master: "master.m3u8" }), 400)).toMatch(/outputPrefix/);
    await reasonOf(await signedPost(jobPath(jobId, "progress"), "{not json"), 400);
    await reasonOf(await signedPost(jobPath(crypto.randomUUID(), "progress"), { progress: 0.5 }), 404);
    await reasonOf(await signedPost(jobPath("not-a-uuid", "progress"), { progress: 0.5 }), 400);

    const complete: CompleteCallback = {
      outputPrefix: `films/${filmId}/episodes/line1/2/hls/${jobId}/`,
      master: "master.m3u8",
      duration: 4,
      segmentCount: 1,
      renditions: [{ name: "360p", bandwidth: 1, width: 640, height: 360, codecs: "avc1", playlist: "360p/index.m3u8" }],
    };
    expect(await reasonOf(await signedPost(jobPath(jobId, "complete"), { ...complete, outputPrefix: `films/${filmId}/` }), 400)).toMatch(/outputPrefix/);
    expect(await reasonOf(await signedPost(jobPath(jobId, "complete"), { ...complete, master: "../../../source/x" }), 400)).toMatch(/master/);
    expect(await reasonOf(await signedPost(jobPath(jobId, "complete"), complete), 400)).toMatch(/master.*not uploaded/);
    expect({ job: await job(jobId), ep: await episodeRow(filmId, "line1", "2") }).toEqual(before);
  });
});

describe("GET /api/v1/admin/jobs", { timeout: 30_000 }, () => {
  it("lists jobs newest first, by status, with paging; refuses bad parameters", async () => {
    const filmId = await createFilm();
    const a = await uploadEpisode(filmId, "lineX", "1");
    const b = await uploadEpisode(filmId, "lineX", "2");
    await signedPost(jobPath(b, "fail"), { error: "corrupt", retryable: false });
    const failed = (await (await admin("/api/v1/admin/jobs?status=failed&limit=100")).json()) as { jobs: { id: string; status: string }[] };
    expect(failed.jobs.some((j) => j.id === b)).toBe(true);
    expect(failed.jobs.every((j) => j.status === "failed")).toBe(true);
    const queued = (await (await admin("/api/v1/admin/jobs?status=queued&limit=100")).json()) as { jobs: { id: string }[] };
    expect(queued.jobs.some((j) => j.id === a)).toBe(true);
    const page = (await (await admin("/api/v1/admin/jobs?offset=0&limit=2")).json()) as { jobs: { createdAt: string }[] };
    expect(page.jobs.length).toBe(2);
    expect(Date.parse(page.jobs[0]!.createdAt)).toBeGreaterThanOrEqual(Date.parse(page.jobs[1]!.createdAt));

    expect(await reasonOf(await admin("/api/v1/admin/jobs?status=done"), 400)).toMatch(/status/);
    expect(await reasonOf(await admin("/api/v1/admin/jobs?limit=101"), 400)).toMatch(/limit/);
    expect(await reasonOf(await admin("/api/v1/admin/jobs?offset=abc"), 400)).toMatch(/offset/);
    await reasonOf(await admin(`/api/v1/admin/jobs/${crypto.randomUUID()}`), 404);
    await reasonOf(await admin("/api/v1/admin/jobs/not-a-uuid"), 400);
  });
});
