// The seed's multipart upload routes: posters, episode sources (job + Queue message), episode
// deletes and ads. Every refusal answers {"reason"} and leaves rows and objects as they were.
import { env } from "cloudflare:workers";
import { afterAll, describe, expect, it } from "vitest";
import { JobMessage } from "../../schema/jobs";
import {
  admin,
  bearer,
  call,
  consumeQueueInTest,
  count,
  createFilm,
  filmFootprint,
  files,
  form,
  keysUnder,
  postForm,
  reasonOf,
  rows,
  sha256,
  waitFor,
} from "./upload-support";

const queue = consumeQueueInTest();
afterAll(() => queue.restore());

const MAX_IMAGE = 10 * 1024 * 1024;

// Generous: these move megabytes through workerd, and the suite shares 2 cores.
describe("POST /api/v1/upload/media/image/{id} (poster)", { timeout: 30_000 }, () => {
  it("stores PNG, JPEG and GIF by their bytes under a new version, deleting the previous poster", async () => {
    const id = await createFilm();
    let previous: string | null = null;
    for (const [bytes, ext, type] of [
      [files.png(), "png", "image/png"],
      [files.jpeg(), "jpg", "image/jpeg"],
      [files.gif(), "gif", "image/gif"],
    ] as const) {
      // The client's name and type lie: the bytes decide.
      const res = await postForm(`/api/v1/upload/media/image/${id}`, form({}, { bytes, name: "poster.txt", type: "text/plain" }));
      expect(res.status, await res.clone().text()).toBe(200);
      const { resource } = (await res.json()) as { resource: string };
      const [row] = await rows<{ poster_key: string }>("SELECT poster_key FROM films WHERE id = ?", id);
      expect(row!.poster_key).toMatch(new RegExp(`^films/${id}/poster/[0-9a-f-]{36}\\.${ext}$`));
      expect(resource).toBe(`https://cdn.test/api/v1/resource/media/${row!.poster_key}`);
      const obj = await env.MEDIA.get(row!.poster_key);
      expect(obj!.httpMetadata?.contentType).toBe(type);
      expect(await sha256(await obj!.arrayBuffer())).toBe(await sha256(bytes));
      if (previous) await waitFor("previous poster deleted", async () => (await env.MEDIA.head(previous!)) === null);
      previous = row!.poster_key;
    }
    expect(await keysUnder(`films/${id}/poster/`)).toEqual([previous]);
  });

  it("refuses a non-image (415), a missing file (400), an oversize image (413), an unknown film (404): nothing changes", async () => {
    const id = await createFilm();
    const before = await filmFootprint(id);
    expect(await reasonOf(await postForm(`/api/v1/upload/media/image/${id}`, form({}, { bytes: files.text(), name: "x.png", type: "image/png" })), 415)).toMatch(/file/);
    expect(await reasonOf(await postForm(`/api/v1/upload/media/image/${id}`, form({}, { bytes: files.mp4() })), 415)).toMatch(/image/);
    expect(await reasonOf(await postForm(`/api/v1/upload/media/image/${id}`, form({ other: "x" })), 400)).toMatch(/file: missing/);
    expect(await reasonOf(await postForm(`/api/v1/upload/media/image/${id}`, form({}, { bytes: files.png(MAX_IMAGE + 1) })), 413)).toMatch(/file/);
    expect(await reasonOf(await call(`/api/v1/upload/media/image/${id}`, { method: "POST", headers: { ...bearer, "content-type": "image/png" }, body: files.png() }), 415)).toMatch(/multipart/);
    await reasonOf(await postForm(`/api/v1/upload/media/image/${crypto.randomUUID()}`, form({}, { bytes: files.png() })), 404);
    expect(await filmFootprint(id)).toEqual(before);
  });
});

describe("POST /api/v1/upload/media/resource/{route}/{id}/{episode} (episode source)", { timeout: 30_000 }, () => {
  it("stores the source, writes a queued job and a processing episode, and puts the job message on the Queue", async () => {
    const id = await createFilm();
    const video = files.mp4(300_000, 42);
    const res = await postForm(`/api/v1/upload/media/resource/line1/${id}/12?state=${encodeURIComponent("updated to episode 12")}`, form({}, { bytes: video }));
    expect(res.status, await res.clone().text()).toBe(200);
    const { jobId, status, source } = (await res.json()) as { jobId: string; status: string; source: string };
    expect(status).toBe("queued");
    expect(source).toBe(`films/${id}/episodes/line1/12/source/${jobId}`);
    expect(await sha256(await (await env.MEDIA.get(source))!.arrayBuffer())).toBe(await sha256(video));

    const [job] = await rows<Record<string, unknown>>("SELECT * FROM jobs WHERE id = ?", jobId);
    expect(job).toMatchObject({
      kind: "episode",
      status: "queued",
      film_id: id,
      route: "line1",
      episode: "12",
      film_state: "updated to episode 12",
      source_key: source,
      output_prefix: `films/${id}/episodes/line1/12/hls/${jobId}/`,
      progress: 0,
      attempts: 0,
    });
    const [ep] = await rows("SELECT status, job_id, source_key, hls_prefix FROM episodes WHERE film_id = ? AND route = 'line1' AND episode = '12'", id);
    expect(ep).toEqual({ status: "processing", job_id: jobId, source_key: source, hls_prefix: null });
    // The film's state changes only when the transcode completes.
    expect((await rows("SELECT state FROM films WHERE id = ?", id))[0]).toEqual({ state: "coming soon" });

    const message = await queue.messageFor(jobId);
    expect(JobMessage.safeParse(message).success).toBe(true);
    expect(message).toMatchObject({ v: 1, jobId, kind: "episode", sourceKey: source, outputPrefix: job!.output_prefix });
  });

  it("a re-upload supersedes the job still queued; a ready episode keeps its current version meanwhile", async () => {
    const id = await createFilm();
    const up = async () => {
      const res = await postForm(`/api/v1/upload/media/resource/line2/${id}/1`, form({}, { bytes: files.mp4() }));
      expect(res.status).toBe(200);
      return ((await res.json()) as { jobId: string }).jobId;
    };
    const first = await up();
    const second = await up();
    expect(await rows("SELECT id, status FROM jobs WHERE film_id = ? ORDER BY created_at, id", id)).toEqual(
      expect.arrayContaining([
        { id: first, status: "superseded" },
        { id: second, status: "queued" },
      ]),
    );
    expect((await rows("SELECT status, job_id FROM episodes WHERE film_id = ?", id))[0]).toEqual({ status: "processing", job_id: second });
    await waitFor("superseded source deleted", async () => (await env.MEDIA.head(`films/${id}/episodes/line2/1/source/${first}`)) === null);

    // Once ready, a new upload keeps the episode playable on its current version.
    await env.DB.prepare("UPDATE episodes SET status = 'ready', hls_prefix = 'films/x/', master_key = 'films/x/master.m3u8' WHERE film_id = ?").bind(id).run();
    const third = await up();
    expect((await rows("SELECT status, job_id, hls_prefix FROM episodes WHERE film_id = ?", id))[0]).toEqual({ status: "ready", job_id: third, hls_prefix: "films/x/" });
  });

  it("refuses a non-video (415), bad route/episode names (400), an unknown film (404), an oversize body (413): nothing changes", async () => {
    const id = await createFilm();
    const before = await filmFootprint(id);
    const sent = queue.received.length;
    expect(await reasonOf(await postForm(`/api/v1/upload/media/resource/line1/${id}/1`, form({}, { bytes: files.png(), name: "x.mp4", type: "video/mp4" })), 415)).toMatch(/video/);
    expect(await reasonOf(await postForm(`/api/v1/upload/media/resource/line1/${id}/1`, form({}, { bytes: files.text(), type: "video/mp4" })), 415)).toMatch(/file/);
    expect(await reasonOf(await postForm(`/api/v1/upload/media/resource/bad%09route/${id}/1`, form({}, { bytes: files.mp4() })), 400)).toMatch(/route/);
    expect(await reasonOf(await postForm(`/api/v1/upload/media/resource/line1/${id}/..%2F..%2Fx`, form({}, { bytes: files.mp4() })), 400)).toMatch(/episode/);
    expect(await reasonOf(await postForm(`/api/v1/upload/media/resource/line1/${id}/%20hidden`, form({}, { bytes: files.mp4() })), 400)).toMatch(/episode/);
    expect(await reasonOf(await postForm(`/api/v1/upload/media/resource/line1/${id}/1?state=${"x".repeat(201)}`, form({}, { bytes: files.mp4() })), 400)).toMatch(/state/);
    await reasonOf(await postForm(`/api/v1/upload/media/resource/line1/${crypto.randomUUID()}/1`, form({}, { bytes: files.mp4() })), 404);

    // Declared too large: refused before a byte is read (the stream would yield 500 MiB).
    let pulled = 0;
    const endless = new ReadableStream<Uint8Array>({
      pull(ctl) {
        pulled++;
        ctl.enqueue(files.mp4(64 * 1024));
      },
    });
    const res = await call(`/api/v1/upload/media/resource/line1/${id}/1`, {
      method: "POST",
      headers: { ...bearer, "content-type": "multipart/form-data; boundary=b", "content-length": String(500 * 1024 * 1024) },
      body: endless,
      duplex: "half",
    } as RequestInit);
    expect(await reasonOf(res, 413)).toMatch(/limit/);
    expect(pulled).toBeLessThanOrEqual(2);

    expect(await filmFootprint(id)).toEqual(before);
    expect(queue.received.length).toBe(sent);
  });
});

describe("DELETE /api/v1/upload/media/resource/{route}/{id}/{episode}", { timeout: 30_000 }, () => {
  it("deletes the episode's objects and row, supersedes its running job, and sets the film's state", async () => {
    const id = await createFilm();
    for (const ep of ["1", "2"]) expect((await postForm(`/api/v1/upload/media/resource/line1/${id}/${ep}`, form({}, { bytes: files.mp4() }))).status).toBe(200);
    const [job] = await rows<{ id: string }>("SELECT id FROM jobs WHERE film_id = ? AND episode = '1'", id);
    await env.MEDIA.put(`films/${id}/episodes/line1/1/hls/${job!.id}/master.m3u8`, "#EXTM3U\n");
    await env.DB.prepare("UPDATE films SET auto_poster_key = ? WHERE id = ?").bind(`films/${id}/episodes/line1/1/hls/${job!.id}/poster.jpg`, id).run();

    const res = await admin(`/api/v1/upload/media/resource/line1/${id}/1?state=${encodeURIComponent("episode 1 removed")}`, { method: "DELETE" });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ deleted: true, objects: 2 });
    expect(await keysUnder(`films/${id}/episodes/line1/1/`)).toEqual([]);
    expect((await keysUnder(`films/${id}/episodes/line1/2/`)).length).toBe(1);
    expect(await rows("SELECT episode FROM episodes WHERE film_id = ?", id)).toEqual([{ episode: "2" }]);
    expect((await rows("SELECT state, auto_poster_key FROM films WHERE id = ?", id))[0]).toEqual({ state: "episode 1 removed", auto_poster_key: null });
    expect((await rows("SELECT status FROM jobs WHERE id = ?", job!.id))[0]).toEqual({ status: "superseded" });

    await reasonOf(await admin(`/api/v1/upload/media/resource/line1/${id}/1`, { method: "DELETE" }), 404);
  });
});

describe("POST /api/v1/upload/ad", { timeout: 30_000 }, () => {
  const future = new Date(Date.now() + 86_400_000).toISOString();

  it("an image ad (WEB, WEB_BAR, WEB_CORNER) is ready at once under its own key", async () => {
    for (const [type, bytes, ext] of [
      ["WEB", files.png(), "png"],
      ["WEB_BAR", files.jpeg(), "jpg"],
      ["WEB_CORNER", files.gif(), "gif"],
    ] as const) {
      const res = await postForm("/api/v1/upload/ad", form({ advertisement_type: type, expired_time: future }, { bytes }));
      expect(res.status, await res.clone().text()).toBe(200);
      const body = (await res.json()) as { id: string; status: string; URL: string };
      expect(body.status).toBe("ready");
      const [ad] = await rows<Record<string, unknown>>("SELECT * FROM ads WHERE id = ?", body.id);
      expect(ad).toMatchObject({ type, status: "ready", asset_key: `ads/${body.id}/image.${ext}`, expires_at: Date.parse(future) });
      expect(body.URL).toBe(`https://cdn.test/api/v1/resource/media/ads/${body.id}/image.${ext}`);
      expect(await env.MEDIA.head(`ads/${body.id}/image.${ext}`)).not.toBeNull();
      // Other test files pick random ads of a type from the same database: leave none behind.
      await rows("DELETE FROM ads WHERE id = ?", body.id);
    }
  });

  it("a FILM ad (fields before or after the file) stores its source and queues an ad job", async () => {
    for (const order of ["fields first", "file first"]) {
      const fd = new FormData();
      const video = files.mp4(50_000, 3);
      if (order === "file first") fd.append("file", new File([video], "ad.mp4"));
      fd.append("advertisement_type", "FILM");
      fd.append("expired_time", future);
      if (order === "fields first") fd.append("file", new File([video], "ad.mp4"));
      const res = await postForm("/api/v1/upload/ad", fd);
      expect(res.status, await res.clone().text()).toBe(200);
      const { id, jobId, status } = (await res.json()) as { id: string; jobId: string; status: string };
      expect(status).toBe("processing");
      expect((await rows("SELECT type, status, job_id, source_key FROM ads WHERE id = ?", id))[0]).toEqual({
        type: "FILM",
        status: "processing",
        job_id: jobId,
        source_key: `ads/${id}/source/${jobId}`,
      });
      expect((await rows("SELECT kind, status, ad_id, output_prefix FROM jobs WHERE id = ?", jobId))[0]).toEqual({
        kind: "ad",
        status: "queued",
        ad_id: id,
        output_prefix: `ads/${id}/hls/${jobId}/`,
      });
      expect(await queue.messageFor(jobId)).toMatchObject({ kind: "ad", sourceKey: `ads/${id}/source/${jobId}` });
    }
  });

  it("refuses bad fields (400 naming them), mismatched or unknown files (415), oversize images (413): nothing stored", async () => {
    // Unique expiry and bytes, to find anything a refused upload might have left among other tests' ads.
    const expiry = new Date(Date.now() + 86_400_000 + Math.floor(Math.random() * 1e6)).toISOString();
    const seed = Math.floor(Math.random() * 1e9);
    const mp4 = files.mp4(8192, seed);
    const cases: [Record<string, string>, Uint8Array, number, RegExp][] = [
      [{ advertisement_type: "BANNER", expired_time: expiry }, files.png(), 400, /advertisement_type/],
      [{ advertisement_type: "WEB", expired_time: "tomorrow" }, files.png(), 400, /expired_time/],
      [{ advertisement_type: "WEB", expired_time: "2001-01-01T00:00:00Z" }, files.png(), 400, /expired_time.*future/],
      [{ advertisement_type: "WEB" }, files.png(), 400, /expired_time/],
      [{ advertisement_type: "FILM", expired_time: expiry }, files.png(), 415, /video/],
      [{ advertisement_type: "WEB", expired_time: expiry }, mp4, 415, /image/],
      [{ advertisement_type: "WEB", expired_time: expiry }, files.text(), 415, /file/],
      [{ advertisement_type: "WEB_BAR", expired_time: expiry }, files.png(MAX_IMAGE + 10), 413, /file/],
    ];
    for (const [fields, bytes, status, reason] of cases) {
      expect(await reasonOf(await postForm("/api/v1/upload/ad", form(fields, { bytes })), status)).toMatch(reason);
    }
    // Fields after the file: the file is stored first, then discarded when the fields are wrong.
    for (const fields of [{ advertisement_type: "WEB", expired_time: expiry }, { advertisement_type: "FILM", expired_time: "2001-01-01T00:00:00Z" }]) {
      const fd = new FormData();
      fd.append("file", new File([mp4], "ad.mp4"));
      for (const [k, v] of Object.entries(fields)) fd.append(k, v);
      await reasonOf(await postForm("/api/v1/upload/ad", fd), fields.advertisement_type === "WEB" ? 415 : 400);
    }
    expect(await count("SELECT count(*) AS n FROM ads WHERE expires_at = ?", Date.parse(expiry))).toBe(0);
    // A single-part object's etag is the MD5 of its bytes.
    const md5 = Array.from(new Uint8Array(await crypto.subtle.digest("MD5", mp4)), (b) => b.toString(16).padStart(2, "0")).join("");
    const left: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await env.MEDIA.list({ prefix: "ads/", cursor });
      left.push(...page.objects.filter((o) => o.etag === md5).map((o) => o.key));
      cursor = page.truncated ? page.cursor : undefined;
    } while (cursor);
    expect(left).toEqual([]);
  });
});
