// Every kind of grant, minted the way the service mints it, tried on every route that takes a grant:
// only the route made for its purpose accepts it (403 {"reason"} everywhere else, nothing written).
// Then the lives of the grants: a job's grants die with the job (complete, superseded by a newer
// upload, deleted with its episode), a part grant with its upload (completed, aborted).
import { env } from "cloudflare:workers";
import { afterAll, describe, expect, it } from "vitest";
import { mediaQuery } from "../../edge/playback/media-tokens";
import { MIN_PART_BYTES } from "../../edge/admin/uploads";
import { JobUrls } from "../../schema/jobs";
import { type GrantPurpose, base64url, hmac } from "../../schema/signing";
import { call as withVars, seedEpisode } from "./playback-fixtures";
import { admin, adminJson, call, consumeQueueInTest, createFilm, files, form, keysUnder, postForm, reasonOf, signedPost } from "./upload-support";

const queue = consumeQueueInTest();
afterAll(() => queue.restore());

const ON = { MEDIA_SIGNING: "on" };
const local = (url: string) => {
  const u = new URL(url);
  return `${u.pathname}${u.search}`;
};
const tokenOf = (url: string) => new URL(url).searchParams.get("token")!;

async function uploadEpisode(filmId: string, route: string, episode: string): Promise<string> {
  const res = await postForm(`/api/v1/upload/media/resource/${route}/${filmId}/${episode}`, form({}, { bytes: files.mp4(20_000, 77) }));
  expect(res.status, await res.clone().text()).toBe(200);
  return ((await res.json()) as { jobId: string }).jobId;
}

async function jobUrls(jobId: string): Promise<JobUrls & { outputPrefix: string; sourceKey: string }> {
  const res = await signedPost(`/api/v1/internal/jobs/${jobId}/urls`, "");
  expect(res.status, await res.clone().text()).toBe(200);
  const urls = JobUrls.parse(await res.json());
  const objects = "/api/v1/internal/objects/";
  return { ...urls, outputPrefix: new URL(urls.outputBase).pathname.slice(objects.length), sourceKey: new URL(urls.source).pathname.slice(objects.length) };
}

/** A signed multipart upload of two parts, the second 10 bytes. */
async function startUpload(filmId: string, episode: string) {
  const res = await adminJson("/api/v1/admin/uploads", { target: { kind: "episode", filmId, route: "line1", episode }, size: MIN_PART_BYTES + 10, contentType: "video/mp4", partSize: MIN_PART_BYTES });
  expect(res.status, await res.clone().text()).toBe(201);
  return (await res.json()) as { id: string; parts: { number: number; url: string }[] };
}

describe("grant purposes", { timeout: 60_000 }, () => {
  it("only the intended (grant, route) pair succeeds", async () => {
    const filmId = await createFilm();
    const jobId = await uploadEpisode(filmId, "line1", "1");
    const urls = await jobUrls(jobId);
    const up = await startUpload(filmId, "2");
    const ep = await seedEpisode({ renditions: [{ name: "720p", bandwidth: 2_000_000, durations: [6], segments: true }] });
    await env.MEDIA.put(`${ep.prefix}key.bin`, new Uint8Array(16));
    const viewer = (await mediaQuery({ ...env, ...ON } as typeof env, ep.prefix)).slice("?token=".length);

    const grants: Record<GrantPurpose, string> = {
      "job-source": tokenOf(urls.source),
      "job-output": urls.outputToken,
      "upload-part": tokenOf(up.parts[1]!.url),
      "viewer-media": viewer,
    };
    // Each route with the key its own grant covers; [route, purpose it takes, request, status on success].
    const routes: Array<[string, GrantPurpose, (t: string) => Promise<Response>, number]> = [
      ["GET internal object", "job-source", (t) => call(`/api/v1/internal/objects/${urls.sourceKey}?token=${t}`), 200],
      ["PUT internal object", "job-output", (t) => call(`/api/v1/internal/objects/${urls.outputPrefix}x.ts?token=${t}`, { method: "PUT", body: "0123456789" }), 201],
      ["PUT upload part", "upload-part", (t) => call(`/api/v1/admin/uploads/${up.id}/parts/2?token=${t}`, { method: "PUT", body: "0123456789" }), 200],
      ["GET media", "viewer-media", (t) => withVars(`/api/v1/resource/media/${ep.prefix}720p/seg_00000.ts?token=${t}`, {}, ON), 200],
      ["GET file beside the playlist", "viewer-media", (t) => withVars(`${ep.path}/key.bin?token=${t}`, {}, ON), 200],
    ];
    for (const [route, takes, request, okStatus] of routes) {
      for (const [purpose, token] of Object.entries(grants) as [GrantPurpose, string][]) {
        const res = await request(token);
        if (purpose === takes) expect(res.status, `${purpose} on ${route}: ${await res.clone().text()}`).toBe(okStatus);
        else expect(await reasonOf(res, 403), `${purpose} on ${route}`).toBe(`${route.startsWith("GET media") || route.startsWith("GET file") ? "token: " : ""}token is for ${purpose}, not ${takes}`);
      }
    }
    // The refused PUTs wrote nothing: only the one the job-output grant made is there.
    expect(await keysUnder(urls.outputPrefix)).toEqual([`${urls.outputPrefix}x.ts`]);
  });

  it("a token without a purpose (minted before purposes existed) opens nothing", async () => {
    const ep = await seedEpisode({ renditions: [{ name: "720p", bandwidth: 2_000_000, durations: [6], segments: true }] });
    const payload = base64url(new TextEncoder().encode(JSON.stringify({ m: "GET", p: ep.prefix, e: Math.floor(Date.now() / 1000) + 600 })));
    const legacy = `${payload}.${base64url(await hmac("test-signing-secret", `grant.${payload}`))}`;
    expect(await reasonOf(await withVars(`/api/v1/resource/media/${ep.prefix}720p/seg_00000.ts?token=${legacy}`, {}, ON), 403)).toBe("token: token is for no purpose, not viewer-media");
  });
});

describe("a job's grants live only as long as the job", { timeout: 60_000 }, () => {
  const put = (urls: { outputBase: string; outputToken: string }, rel: string, body: string | Uint8Array = "x") =>
    call(local(`${urls.outputBase}${rel}?token=${urls.outputToken}`), { method: "PUT", body });

  it("after completion: the output grant writes nothing more, the source grant reads nothing", async () => {
    const filmId = await createFilm();
    const jobId = await uploadEpisode(filmId, "line1", "1");
    const urls = await jobUrls(jobId);
    expect((await put(urls, "360p/seg_00000.ts", files.mp4(5000))).status).toBe(201);
    expect((await put(urls, "360p/index.m3u8", "#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXTINF:4.0,\nseg_00000.ts\n#EXT-X-ENDLIST\n")).status).toBe(201);
    expect((await put(urls, "master.m3u8", '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=800000,RESOLUTION=640x360,CODECS="avc1.64001e,mp4a.40.2"\n360p/index.m3u8\n')).status).toBe(201);
    const done = await signedPost(`/api/v1/internal/jobs/${jobId}/complete`, {
      outputPrefix: urls.outputPrefix,
      master: "master.m3u8",
      duration: 4,
      segmentCount: 1,
      renditions: [{ name: "360p", bandwidth: 800_000, width: 640, height: 360, codecs: "avc1.64001e,mp4a.40.2", playlist: "360p/index.m3u8" }],
    });
    expect(done.status, await done.clone().text()).toBe(200);

    const before = await (await env.MEDIA.get(`${urls.outputPrefix}360p/seg_00000.ts`))!.arrayBuffer();
    // The audit's attack: replacing a live segment that is served as immutable.
    expect(await reasonOf(await put(urls, "360p/seg_00000.ts", "evil"), 403)).toBe(`token: job ${jobId} is complete`);
    expect(await reasonOf(await put(urls, "stray.ts", "evil"), 403)).toBe(`token: job ${jobId} is complete`);
    expect(new Uint8Array(await (await env.MEDIA.get(`${urls.outputPrefix}360p/seg_00000.ts`))!.arrayBuffer())).toEqual(new Uint8Array(before));
    expect(await env.MEDIA.head(`${urls.outputPrefix}stray.ts`)).toBeNull();
    expect(await reasonOf(await call(local(urls.source)), 403)).toBe(`token: job ${jobId} is complete`);
  });

  it("after a newer upload supersedes the job, and after the episode is deleted", async () => {
    const filmId = await createFilm();
    const first = await uploadEpisode(filmId, "line1", "1");
    const old = await jobUrls(first);
    expect((await put(old, "a.ts")).status).toBe(201);
    await uploadEpisode(filmId, "line1", "1");
    expect(await reasonOf(await put(old, "b.ts"), 403)).toBe(`token: job ${first} is superseded`);
    expect(await reasonOf(await call(local(old.source)), 403)).toMatch(/superseded|no longer exists/);

    const doomed = await uploadEpisode(filmId, "line1", "2");
    const urls = await jobUrls(doomed);
    expect((await put(urls, "a.ts")).status).toBe(201);
    const del = await admin(`/api/v1/upload/media/resource/line1/${filmId}/2`, { method: "DELETE" });
    expect(del.status, await del.clone().text()).toBeLessThan(300);
    expect(await reasonOf(await put(urls, "after-delete.ts"), 403)).toMatch(new RegExp(`job ${doomed} (is superseded|no longer exists)`));
    expect(await env.MEDIA.head(`${urls.outputPrefix}after-delete.ts`)).toBeNull();
  });

  it("a failed job's grants are dead too", async () => {
    const filmId = await createFilm();
    const jobId = await uploadEpisode(filmId, "line1", "1");
    const urls = await jobUrls(jobId);
    expect((await signedPost(`/api/v1/internal/jobs/${jobId}/fail`, { error: "broken source", retryable: false })).status).toBe(200);
    expect(await reasonOf(await put(urls, "late.ts"), 403)).toBe(`token: job ${jobId} is failed`);
  });
});

describe("a part grant lives only while its upload is open", { timeout: 60_000 }, () => {
  it("after abort and after completion: 403, nothing stored", async () => {
    const filmId = await createFilm();
    const aborted = await startUpload(filmId, "1");
    expect((await admin(`/api/v1/admin/uploads/${aborted.id}/abort`, { method: "POST" })).status).toBe(200);
    const late = await call(local(aborted.parts[1]!.url), { method: "PUT", body: "0123456789" });
    expect(await reasonOf(late, 403)).toMatch(/upload .* no longer exists/);

    const up = await startUpload(filmId, "2");
    const head = files.mp4(MIN_PART_BYTES, 5);
    expect((await call(local(up.parts[0]!.url), { method: "PUT", body: head })).status).toBe(200);
    expect((await call(local(up.parts[1]!.url), { method: "PUT", body: "0123456789" })).status).toBe(200);
    const done = await admin(`/api/v1/admin/uploads/${up.id}/complete`, { method: "POST" });
    expect(done.status, await done.clone().text()).toBe(200);
    expect(await reasonOf(await call(local(up.parts[1]!.url), { method: "PUT", body: "9876543210" }), 403)).toBe(`token: upload ${up.id} is completed`);
    // A part grant is no object grant: it cannot write the part's key through the transcoder's route.
    expect(await reasonOf(await call(`/api/v1/internal/objects/uploads/${up.id}/parts/2?token=${tokenOf(up.parts[1]!.url)}`, { method: "PUT", body: "x" }), 403)).toBe(
      "token is for upload-part, not job-output",
    );
    expect(await keysUnder(`uploads/${up.id}/`)).toEqual([]);
  });
});
