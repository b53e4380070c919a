// Uploads abandoned half-way (issue 7), against the real edge (`wrangler dev`, local D1 and R2): a signed
// multipart upload left after its first part and then aborted, and a form upload whose client vanishes in
// the middle of the body. Each ends with no orphan episode, job or upload row in D1, no object and no
// multipart part left in R2 (read from the simulator's storage, where the bytes would stay), and the
// film's own rows and poster untouched. (D1 and R2 are read from the edge's persisted state:
// test/support/hostile-storage.ts.)

import { randomBytes } from "node:crypto";
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as keys from "../../schema/keys";
import { type RawAnswer, requestOnce } from "../../scripts/harness/http";
import { blobCount, d1Rows, multipartUploads, objectKeys } from "../support/hostile-storage";
import { type DevEdge, startEdge, TEST_ADMIN_TOKEN, waitFor } from "../support/stack";

const MiB = 1024 * 1024;
let edge: DevEdge;

beforeAll(async () => {
  edge = await startEdge();
}, 120_000);

afterAll(async () => {
  await edge?.stop();
});

type Answer = RawAnswer;

/** One connection per request (scripts/harness/http.ts), with the admin's bearer unless told not to. */
function http(method: string, path: string, opts: { body?: Buffer | string; headers?: Record<string, string>; bearer?: boolean } = {}): Promise<Answer> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.bearer !== false) headers.authorization = `Bearer ${TEST_ADMIN_TOKEN}`;
  return requestOnce(new URL(path, edge.url), { method, headers, body: opts.body });
}

async function json<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await http(method, path, body === undefined ? {} : { body: JSON.stringify(body), headers: { "content-type": "application/json" } });
  if (res.status >= 300) throw new Error(`${method} ${path} → ${res.status} ${res.text}`);
  return JSON.parse(res.text) as T;
}

/** A film with people and a poster: what must survive an abandoned upload. */
async function filmWithPoster(title: string): Promise<{ filmId: string; posterKey: string }> {
  const { id } = await json<{ id: string }>("POST", "/api/v1/upload/media/", {
    title,
    type: "MOVIE",
    category: "MOVIE_DRAMA",
    location: "US",
    actors: ["Kept Actor"],
    directors: ["Kept Director"],
  });
  const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), randomBytes(1024)]);
  const boundary = "poster-boundary";
  const form = Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="p.png"\r\nContent-Type: image/png\r\n\r\n`),
    png,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  const res = await http("POST", `/api/v1/upload/media/image/${id}`, { body: form, headers: { "content-type": `multipart/form-data; boundary=${boundary}` } });
  expect(res.status, res.text).toBe(200);
  const [film] = d1Rows<{ poster_key: string }>(edge.persistDir, `SELECT poster_key FROM films WHERE id = '${id}'`);
  return { filmId: id, posterKey: film!.poster_key };
}

/** D1 rows an upload for this film could leave behind, and the film's own rows. */
function rowsOf(filmId: string) {
  const [r] = d1Rows<Record<string, number>>(
    edge.persistDir,
    "SELECT " +
      `(SELECT count(*) FROM films WHERE id = '${filmId}') AS films, ` +
      `(SELECT count(*) FROM film_people WHERE film_id = '${filmId}') AS people, ` +
      `(SELECT count(*) FROM episodes WHERE film_id = '${filmId}') AS episodes, ` +
      `(SELECT count(*) FROM jobs WHERE film_id = '${filmId}') AS jobs, ` +
      `(SELECT count(*) FROM uploads WHERE json_extract(target, '$.filmId') = '${filmId}') AS uploads, ` +
      "(SELECT count(*) FROM upload_parts) AS upload_parts",
  );
  return r!;
}

/** Blob files are freed in the background once R2 lets go of them. */
async function expectBlobs(n: number) {
  await waitFor(`R2 to be back to ${n} blob files`, async () => blobCount(edge.persistDir) === n, 10_000).catch(() => undefined);
  expect(blobCount(edge.persistDir)).toBe(n);
}

describe("uploads abandoned half-way", () => {
  it("a signed multipart upload left after its first part: no episode; abort frees the part; its URLs stop working", async () => {
    const { filmId, posterKey } = await filmWithPoster("fault: abandoned signed upload");
    const before = { rows: rowsOf(filmId), objects: await objectKeys(edge.persistDir, keys.filmPrefix(filmId)), blobs: blobCount(edge.persistDir) };
    expect(before.rows).toMatchObject({ films: 1, people: 2, episodes: 0, jobs: 0, uploads: 0 });
    expect(before.objects).toEqual([posterKey]);

    const partSize = 8 * MiB;
    const up = await json<{ id: string; key: string; partCount: number; parts: Array<{ number: number; url: string }> }>("POST", "/api/v1/admin/uploads", {
      target: { kind: "episode", filmId, route: "line1", episode: "1", state: "never" },
      size: partSize + MiB,
      partSize,
      contentType: "video/mp4",
    });
    expect(up.partCount).toBe(2);
    const first = Buffer.concat([Buffer.from([0, 0, 0, 0x20, ...Buffer.from("ftypisom")]), randomBytes(partSize - 12)]);
    const put = await http("PUT", up.parts[0]!.url, { body: first, bearer: false });
    expect(put.status, put.text).toBe(200);

    // The client goes away here. Half an upload is not an episode: nothing to play, nothing queued.
    expect(rowsOf(filmId)).toMatchObject({ episodes: 0, jobs: 0, uploads: 1, upload_parts: before.rows.upload_parts! + 1 });
    const mp = multipartUploads(edge.persistDir, up.key);
    expect(mp).toEqual([{ uploadId: expect.any(String), key: up.key, state: "in progress", parts: 1 }]);
    expect(blobCount(edge.persistDir)).toBe(before.blobs + 1);
    const status = await json<{ parts: Array<{ number: number }>; pending: Array<{ number: number }> }>("GET", `/api/v1/admin/uploads/${up.id}`);
    expect(status.parts.map((p) => p.number)).toEqual([1]);
    expect(status.pending.map((p) => p.number)).toEqual([2]);

    const aborted = await http("POST", `/api/v1/admin/uploads/${up.id}/abort`);
    expect(aborted.status, aborted.text).toBe(200);

    expect(rowsOf(filmId)).toEqual(before.rows);
    expect(multipartUploads(edge.persistDir, up.key)).toEqual([{ uploadId: mp[0]!.uploadId, key: up.key, state: "aborted", parts: 0 }]);
    await expectBlobs(before.blobs);
    expect(await objectKeys(edge.persistDir, keys.filmPrefix(filmId))).toEqual(before.objects);

    // What the client still holds opens nothing: the other part's signed URL, completing, aborting again.
    const late = await http("PUT", up.parts[1]!.url, { body: randomBytes(MiB), bearer: false });
    expect(late.status, late.text).toBe(403); // a part grant lives only while its upload is open
    expect((await http("POST", `/api/v1/admin/uploads/${up.id}/complete`)).status).toBe(404);
    expect((await http("POST", `/api/v1/admin/uploads/${up.id}/abort`)).status).toBe(404);
    expect(rowsOf(filmId)).toEqual(before.rows);
    await expectBlobs(before.blobs);
  });

  it("a form upload whose client disconnects in the middle of the body: no episode, job, object or part is left", async () => {
    const { filmId, posterKey } = await filmWithPoster("fault: cut form upload");
    const before = { rows: rowsOf(filmId), blobs: blobCount(edge.persistDir) };
    const episodePrefix = keys.episodePrefix(filmId, "line1", "1");

    // Announce 24 MiB, send 12 (more than one 8 MiB part, which the edge streams into R2 as it arrives), then vanish.
    const boundary = "cut-boundary";
    const head = Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="cut.mp4"\r\nContent-Type: video/mp4\r\n\r\n`,
    );
    const declared = 24 * MiB;
    const url = new URL(edge.url);
    const socket = connect(Number(url.port), url.hostname);
    await new Promise<void>((resolve, reject) => socket.once("connect", resolve).once("error", reject));
    socket.write(
      `POST /api/v1/upload/media/resource/line1/${filmId}/1 HTTP/1.1\r\nHost: ${url.host}\r\nAuthorization: Bearer ${TEST_ADMIN_TOKEN}\r\n` +
        `Content-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: ${declared}\r\n\r\n`,
    );
    socket.write(head);
    socket.write(Buffer.concat([Buffer.from([0, 0, 0, 0x20, ...Buffer.from("ftypisom")]), randomBytes(MiB - 12)]));
    for (let i = 1; i < 12; i++) await new Promise<void>((resolve) => socket.write(randomBytes(MiB), () => resolve()));
    // Give the edge the time to have stored the first part before the client disappears.
    await waitFor("a part of the cut upload in R2", async () => multipartUploads(edge.persistDir, episodePrefix).some((u) => u.parts > 0), 20_000);
    socket.destroy();

    await waitFor(
      "the cut upload's multipart to be released",
      async () => multipartUploads(edge.persistDir, episodePrefix).every((u) => u.state !== "in progress"),
      20_000,
    ).catch(() => undefined);
    const uploads = multipartUploads(edge.persistDir, episodePrefix);
    expect(uploads.length).toBeGreaterThan(0);
    for (const u of uploads) expect(u, "the streamed parts of the cut upload").toMatchObject({ state: "aborted", parts: 0 });
    await expectBlobs(before.blobs);
    expect(await objectKeys(edge.persistDir, keys.filmPrefix(filmId))).toEqual([posterKey]);
    expect(rowsOf(filmId)).toEqual(before.rows);
    // The app does not count a vanished client as its own failure (edge/app.ts logs those as "unhandled
    // error" and answers 500). The local dev server's proxy still prints the lost connection itself.
    expect(edge.logs()).not.toMatch(/unhandled error/i);
  });
});
