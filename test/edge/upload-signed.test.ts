// Signed multipart uploads: create, PUT parts through their signed URLs, resume, complete, abort.
import { env } from "cloudflare:workers";
import { afterAll, describe, expect, it } from "vitest";
import { signGrant } from "../../schema/signing";
import { admin, adminJson, call, consumeQueueInTest, count, createFilm, filmFootprint, files, reasonOf, rows, sha256 } from "./upload-support";

const queue = consumeQueueInTest();
afterAll(() => queue.restore());

const MiB = 1024 * 1024;
const PART = 8 * MiB;

interface Created {
  id: string;
  key: string;
  partSize: number;
  partCount: number;
  parts: { number: number; url: string }[];
  expiresAt: string;
}

async function start(body: Record<string, unknown>): Promise<Created> {
  const res = await adminJson("/api/v1/admin/uploads", body);
  expect(res.status, await res.clone().text()).toBe(201);
  return (await res.json()) as Created;
}

/** PUT through the signed URL as a client would (no bearer); the URL points at the public base. */
function putPart(url: string, bytes: Uint8Array, headers: Record<string, string> = {}): Promise<Response> {
  const u = new URL(url);
  expect(u.origin).toBe("https://cdn.test");
  return call(`${u.pathname}${u.search}`, { method: "PUT", body: bytes, headers });
}

const slice = (file: Uint8Array, n: number, partSize = PART) => file.subarray((n - 1) * partSize, n * partSize);

// Generous: these move megabytes through workerd, and the suite shares 2 cores.
describe("signed multipart upload of an episode source", { timeout: 30_000 }, () => {
  it("assembles a file of several parts byte-exact, then registers and queues it like the form route", async () => {
    const filmId = await createFilm();
    const file = files.mp4(2 * PART + 123_457, 99);
    const up = await start({ target: { kind: "episode", filmId, route: "line1", episode: "3", state: "episode 3" }, size: file.length, contentType: "video/mp4", partSize: PART });
    expect(up).toMatchObject({ partSize: PART, partCount: 3 });
    expect(up.parts.map((p) => p.number)).toEqual([1, 2, 3]);
    expect(up.key).toMatch(new RegExp(`^films/${filmId}/episodes/line1/3/source/[0-9a-f-]{36}$`));
    expect(Date.parse(up.expiresAt)).toBeGreaterThan(Date.now());

    // Parts may arrive in any order.
    for (const n of [3, 1, 2]) {
      const res = await putPart(up.parts[n - 1]!.url, slice(file, n));
      expect(res.status, await res.clone().text()).toBe(200);
      expect(await res.json()).toMatchObject({ number: n, size: slice(file, n).length });
    }
    // Nothing exists for readers before "complete".
    expect(await env.MEDIA.head(up.key)).toBeNull();
    expect(await count("SELECT count(*) AS n FROM episodes WHERE film_id = ?", filmId)).toBe(0);

    const done = await admin(`/api/v1/admin/uploads/${up.id}/complete`, { method: "POST" });
    expect(done.status, await done.clone().text()).toBe(200);
    const { jobId, key, size } = (await done.json()) as { jobId: string; key: string; size: number };
    expect(key).toBe(up.key);
    expect(size).toBe(file.length);

    const obj = await env.MEDIA.get(up.key);
    expect(obj!.size).toBe(file.length);
    expect(await sha256(await obj!.arrayBuffer())).toBe(await sha256(file));

    expect((await rows("SELECT status, film_state, source_key FROM jobs WHERE id = ?", jobId))[0]).toEqual({ status: "queued", film_state: "episode 3", source_key: up.key });
    expect((await rows("SELECT status, job_id FROM episodes WHERE film_id = ? AND episode = '3'", filmId))[0]).toEqual({ status: "processing", job_id: jobId });
    expect(await queue.messageFor(jobId)).toMatchObject({ jobId, kind: "episode", sourceKey: up.key });

    // Complete again (say the first answer was lost): the same answer, nothing new.
    const again = await admin(`/api/v1/admin/uploads/${up.id}/complete`, { method: "POST" });
    expect(again.status).toBe(200);
    expect(((await again.json()) as { jobId: string }).jobId).toBe(jobId);
    expect(await count("SELECT count(*) AS n FROM jobs WHERE film_id = ?", filmId)).toBe(1);
    const view = (await (await admin(`/api/v1/admin/uploads/${up.id}`)).json()) as { status: string; jobId: string; pending: unknown[] };
    expect(view).toMatchObject({ status: "completed", jobId, pending: [] });
    // No more parts once completed: the part grant died with the open upload.
    expect(await reasonOf(await putPart(up.parts[0]!.url, slice(file, 1)), 403)).toMatch(/is completed/);
  });

  it("resumes after a lost part: the upload lists what arrived and hands fresh URLs for the rest", async () => {
    const filmId = await createFilm();
    const file = files.mp4(PART + 5000, 5);
    const up = await start({ target: { kind: "episode", filmId, route: "line1", episode: "4" }, size: file.length, contentType: "video/mp4", partSize: PART });
    expect((await putPart(up.parts[0]!.url, slice(file, 1))).status).toBe(200);
    // Part 2 is "lost" (never sent); complete refuses and says which.
    expect(await reasonOf(await admin(`/api/v1/admin/uploads/${up.id}/complete`, { method: "POST" }), 409)).toMatch(/parts missing: 2/);

    const res = await admin(`/api/v1/admin/uploads/${up.id}`);
    expect(res.status).toBe(200);
    const view = (await res.json()) as { status: string; parts: { number: number; size: number; etag: string }[]; pending: { number: number; url: string }[] };
    expect(view.status).toBe("open");
    expect(view.parts).toEqual([{ number: 1, size: PART, etag: expect.any(String) }]);
    expect(view.pending.map((p) => p.number)).toEqual([2]);

    // A part of the wrong size is refused; the right one is taken.
    expect(await reasonOf(await putPart(view.pending[0]!.url, file.subarray(PART, PART + 10)), 400)).toMatch(/Content-Length/);
    expect((await putPart(view.pending[0]!.url, slice(file, 2))).status).toBe(200);
    // Re-sending a part that already arrived replaces it, harmlessly.
    expect((await putPart(up.parts[0]!.url, slice(file, 1))).status).toBe(200);
    const done = await admin(`/api/v1/admin/uploads/${up.id}/complete`, { method: "POST" });
    expect(done.status, await done.clone().text()).toBe(200);
    expect(await sha256(await (await env.MEDIA.get(up.key))!.arrayBuffer())).toBe(await sha256(file));
  });

  it("abort frees the parts and leaves no episode, no job and no object", async () => {
    const filmId = await createFilm();
    const before = await filmFootprint(filmId);
    const file = files.mp4(PART + 10, 8);
    const up = await start({ target: { kind: "episode", filmId, route: "line1", episode: "5" }, size: file.length, contentType: "video/mp4", partSize: PART });
    expect((await putPart(up.parts[0]!.url, slice(file, 1))).status).toBe(200);
    const [{ r2_upload_id: r2UploadId }] = (await rows<{ r2_upload_id: string }>("SELECT r2_upload_id FROM uploads WHERE id = ?", up.id)) as [{ r2_upload_id: string }];
    const res = await admin(`/api/v1/admin/uploads/${up.id}/abort`, { method: "POST" });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ id: up.id, aborted: true });

    expect(await count("SELECT count(*) AS n FROM upload_parts WHERE upload_id = ?", up.id)).toBe(0);
    expect(await count("SELECT count(*) AS n FROM uploads WHERE id = ?", up.id)).toBe(0);
    expect(await filmFootprint(filmId)).toEqual(before);
    // R2 forgot the upload: its parts cannot be completed any more.
    await expect(env.MEDIA.resumeMultipartUpload(up.key, r2UploadId).complete([])).rejects.toThrow();
    expect(await reasonOf(await putPart(up.parts[1]!.url, slice(file, 2)), 403)).toMatch(/no longer exists/);
    await reasonOf(await admin(`/api/v1/admin/uploads/${up.id}/complete`, { method: "POST" }), 404);
  });

  it("a FILM ad through the signed flow becomes a processing ad with a queued ad job", async () => {
    const file = files.mp4(200_000, 4);
    const expiresAt = new Date(Date.now() + 3_600_000).toISOString();
    const up = await start({ target: { kind: "ad", adType: "FILM", expiresAt }, size: file.length, contentType: "video/mp4", partSize: PART });
    expect(up.partCount).toBe(1);
    expect((await putPart(up.parts[0]!.url, file)).status).toBe(200);
    const done = await admin(`/api/v1/admin/uploads/${up.id}/complete`, { method: "POST" });
    expect(done.status, await done.clone().text()).toBe(200);
    const { jobId, adId } = (await done.json()) as { jobId: string; adId: string };
    expect(up.key).toBe(`ads/${adId}/source/${jobId}`);
    expect((await rows("SELECT type, status, job_id, expires_at FROM ads WHERE id = ?", adId))[0]).toEqual({ type: "FILM", status: "processing", job_id: jobId, expires_at: Date.parse(expiresAt) });
    expect(await queue.messageFor(jobId)).toMatchObject({ kind: "ad", sourceKey: up.key });
  });

  it("a completed file that is not a video is discarded with 415: no job, no episode", async () => {
    const filmId = await createFilm();
    const before = await filmFootprint(filmId);
    const png = files.png(50_000);
    const up = await start({ target: { kind: "episode", filmId, route: "line1", episode: "6" }, size: png.length, contentType: "video/mp4" });
    expect((await putPart(up.parts[0]!.url, png)).status).toBe(200);
    expect(await reasonOf(await admin(`/api/v1/admin/uploads/${up.id}/complete`, { method: "POST" }), 415)).toMatch(/not a video/);
    expect(await env.MEDIA.head(up.key)).toBeNull();
    expect(await filmFootprint(filmId)).toEqual(before);
  });
});

describe("refusals (nothing changes)", { timeout: 30_000 }, () => {
  it("create: bad target, sizes, part sizes, unknown film → 400/404 naming the field", async () => {
    const filmId = await createFilm();
    const before = await filmFootprint(filmId);
    const uploadsBefore = await count("SELECT count(*) AS n FROM uploads WHERE json_extract(target, '$.filmId') = ?", filmId);
    const good = { target: { kind: "episode", filmId, route: "line1", episode: "1" }, size: 1000, contentType: "video/mp4" };
    const cases: [Record<string, unknown>, number, RegExp][] = [
      [{ ...good, target: { ...good.target, route: "../x" } }, 400, /target\.route/],
      [{ ...good, target: { ...good.target, episode: ".." } }, 400, /target\.episode/],
      [{ ...good, target: { ...good.target, filmId: "films/../x" } }, 400, /target\.filmId/],
      [{ ...good, target: { kind: "podcast" } }, 400, /target/],
      [{ ...good, target: { kind: "ad", adType: "WEB", expiresAt: "2099-01-01T00:00:00Z" } }, 400, /target\.adType/],
      [{ ...good, target: { kind: "ad", adType: "FILM", expiresAt: "2001-01-01T00:00:00Z" } }, 400, /target\.expiresAt/],
      [{ ...good, size: 0 }, 400, /size/],
      [{ ...good, size: 1.5 }, 400, /size/],
      [{ ...good, partSize: 4 * MiB }, 400, /partSize/],
      [{ ...good, partSize: 65 * MiB }, 400, /partSize/],
      [{ ...good, size: 10_001 * PART, partSize: PART }, 400, /size/],
      [{ ...good, contentType: "not a type" }, 400, /contentType/],
      [{ ...good, target: { ...good.target, filmId: crypto.randomUUID() } }, 404, /filmId/],
    ];
    for (const [body, status, reason] of cases) {
      expect(await reasonOf(await adminJson("/api/v1/admin/uploads", body), status), JSON.stringify(body)).toMatch(reason);
    }
    expect(await filmFootprint(filmId)).toEqual(before);
    expect(await count("SELECT count(*) AS n FROM uploads WHERE json_extract(target, '$.filmId') = ?", filmId)).toBe(uploadsBefore);
  });

  it("part PUT: forged, expired, other part's, other method's tokens → 403; oversize → 413; no length → 411", async () => {
    const filmId = await createFilm();
    const file = files.mp4(PART + 100, 12);
    const up = await start({ target: { kind: "episode", filmId, route: "line1", episode: "7" }, size: file.length, contentType: "video/mp4", partSize: PART });
    const path1 = `/api/v1/admin/uploads/${up.id}/parts/1`;
    const e = Math.floor(Date.now() / 1000) + 600;
    const tokens: [string, RegExp][] = [
      [await signGrant("wrong-secret", { u: "upload-part", m: "PUT", k: `uploads/${up.id}/parts/1`, e, s: PART }), /signature/],
      [await signGrant("test-signing-secret", { u: "upload-part", m: "PUT", k: `uploads/${up.id}/parts/1`, e: Math.floor(Date.now() / 1000) - 1, s: PART }), /expired/],
      [await signGrant("test-signing-secret", { u: "upload-part", m: "GET", k: `uploads/${up.id}/parts/1`, e, s: PART }), /method/],
      [new URL(up.parts[1]!.url).searchParams.get("token")!, /cover/],
      [await signGrant("test-signing-secret", { u: "upload-part", m: "PUT", p: `uploads/${crypto.randomUUID()}/`, e, s: PART }), /cover/],
      ["", /missing/],
      ["abc.def.ghi", /malformed/],
    ];
    // Tampering with the payload breaks the signature.
    const [payload, sig] = new URL(up.parts[0]!.url).searchParams.get("token")!.split(".");
    const raised = btoa(JSON.stringify({ ...JSON.parse(atob(payload!.replaceAll("-", "+").replaceAll("_", "/"))), s: 64 * MiB })).replaceAll("=", "");
    tokens.push([`${raised}.${sig}`, /signature/]);
    for (const [token, reason] of tokens) {
      expect(await reasonOf(await call(`${path1}?token=${encodeURIComponent(token)}`, { method: "PUT", body: slice(file, 1) }), 403), token).toMatch(reason);
    }
    const good = new URL(up.parts[0]!.url).search;
    expect(await reasonOf(await call(`${path1}${good}`, { method: "PUT", body: files.mp4(PART + 1) }), 413)).toMatch(/Content-Length/);
    const noLength = new ReadableStream({
      start(ctl) {
        ctl.enqueue(slice(file, 1));
        ctl.close();
      },
    });
    expect(await reasonOf(await call(`${path1}${good}`, { method: "PUT", body: noLength, duplex: "half" } as RequestInit), 411)).toMatch(/Content-Length/);
    await reasonOf(await call(`/api/v1/admin/uploads/${up.id}/parts/0${good}`, { method: "PUT", body: "x" }), 400);
    await reasonOf(await call(`/api/v1/admin/uploads/not-a-uuid/parts/1${good}`, { method: "PUT", body: "x" }), 400);
    expect(await count("SELECT count(*) AS n FROM upload_parts WHERE upload_id = ?", up.id)).toBe(0);
    expect((await (await admin(`/api/v1/admin/uploads/${up.id}`)).json()) as { parts: unknown[] }).toMatchObject({ parts: [] });
  });

  it("unknown uploads answer 404; an aborted or completed upload cannot be aborted again", async () => {
    const id = crypto.randomUUID();
    await reasonOf(await admin(`/api/v1/admin/uploads/${id}`), 404);
    await reasonOf(await admin(`/api/v1/admin/uploads/${id}/complete`, { method: "POST" }), 404);
    await reasonOf(await admin(`/api/v1/admin/uploads/${id}/abort`, { method: "POST" }), 404);
    await reasonOf(await admin(`/api/v1/admin/uploads/not-a-uuid`), 400);
  });
});
