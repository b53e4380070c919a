import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { body, call, seedEpisode } from "./playback-fixtures";

const M = "/api/v1/resource/media/";

/** A 1000-byte object whose byte i is i % 251, under a job's output prefix. */
async function segment(contentType?: string) {
  const key = `films/${crypto.randomUUID()}/episodes/line1/1/hls/${crypto.randomUUID()}/720p/seg_00000.ts`;
  const bytes = Uint8Array.from({ length: 1000 }, (_, i) => i % 251);
  await env.MEDIA.put(key, bytes, contentType ? { httpMetadata: { contentType } } : {});
  return { key, bytes, url: M + key };
}

const bytesOf = async (res: Response) => new Uint8Array(await res.arrayBuffer());

describe("GET /media/{bucket}/{file}", () => {
  it("streams the object with its type, length, validators and a year of immutable caching", async () => {
    const { url, bytes } = await segment("video/mp2t");
    const res = await call(url);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("video/mp2t");
    expect(res.headers.get("content-length")).toBe("1000");
    expect(res.headers.get("etag")).toMatch(/^"[0-9a-f]+"$/);
    expect(new Date(res.headers.get("last-modified")!).getTime()).toBeGreaterThan(0);
    expect(res.headers.get("accept-ranges")).toBe("bytes");
    expect(res.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    expect(await bytesOf(res)).toEqual(bytes);
  });

  it("infers the content type of an object stored without one", async () => {
    const { url } = await segment();
    expect((await call(url)).headers.get("content-type")).toBe("video/mp2t");
    const img = `ads/${crypto.randomUUID()}/image.webp`;
    await env.MEDIA.put(img, new Uint8Array([1, 2, 3]));
    const res = await call(M + img);
    expect(res.headers.get("content-type")).toBe("image/webp");
    // An ad image is rewritten in place when the ad changes: short caching.
    expect(res.headers.get("cache-control")).toBe("public, max-age=60");
  });

  it("caches versioned posters for good", async () => {
    const key = `films/${crypto.randomUUID()}/poster/${crypto.randomUUID()}.jpg`;
    await env.MEDIA.put(key, new Uint8Array([0xff, 0xd8, 0xff]));
    const res = await call(M + key);
    expect(res.headers.get("content-type")).toBe("image/jpeg");
    expect(res.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
  });

  it("HEAD: the headers of a GET, no body", async () => {
    const { url } = await segment("video/mp2t");
    const res = await call(url, { method: "HEAD" });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-length")).toBe("1000");
    expect(res.headers.get("etag")).toMatch(/^"/);
    expect(res.headers.get("accept-ranges")).toBe("bytes");
    expect((await res.arrayBuffer()).byteLength).toBe(0);
    expect((await call(M + `films/${crypto.randomUUID()}/x.ts`, { method: "HEAD" })).status).toBe(404);
  });

  it("answers a single range with 206 and Content-Range", async () => {
    const { url, bytes } = await segment("video/mp2t");
    for (const [range, start, end] of [
      ["bytes=10-19", 10, 19],
      ["bytes=990-", 990, 999],
      ["bytes=-5", 995, 999],
      ["bytes=900-5000", 900, 999],
      ["bytes=-5000", 0, 999],
    ] as const) {
      const res = await call(url, { headers: { Range: range } });
      expect(res.status, range).toBe(206);
      expect(res.headers.get("content-range"), range).toBe(`bytes ${start}-${end}/1000`);
      expect(res.headers.get("content-length"), range).toBe(String(end - start + 1));
      expect(await bytesOf(res), range).toEqual(bytes.slice(start, end + 1));
    }
  });

  it("answers 416 for an unsatisfiable range, and the whole object for several or malformed ranges", async () => {
    const { url } = await segment("video/mp2t");
    for (const range of ["bytes=1000-", "bytes=5000-6000", "bytes=-0"]) {
      const res = await call(url, { headers: { Range: range } });
      expect(res.status, range).toBe(416);
      expect(res.headers.get("content-range")).toBe("bytes */1000");
      expect((await res.json<{ reason: string }>()).reason).toMatch(/^range:/);
    }
    for (const range of ["bytes=0-1,5-6", "items=0-1", "bytes=9-2"]) {
      const res = await call(url, { headers: { Range: range } });
      expect(res.status, range).toBe(200);
      expect((await bytesOf(res)).length).toBe(1000);
    }
  });

  it("answers conditional requests: If-None-Match / If-Modified-Since → 304, If-Match → 412, stale If-Range → 200", async () => {
    const { url } = await segment("video/mp2t");
    const first = await call(url);
    const etag = first.headers.get("etag")!;
    const lastModified = first.headers.get("last-modified")!;
    await first.arrayBuffer();

    for (const headers of <Array<Record<string, string>>>[{ "If-None-Match": etag }, { "If-None-Match": `W/${etag}` }, { "If-None-Match": `"nope", ${etag}` }, { "If-Modified-Since": lastModified }]) {
      const res = await call(url, { headers });
      expect(res.status, JSON.stringify(headers)).toBe(304);
      expect(res.headers.get("etag")).toBe(etag);
      expect((await res.arrayBuffer()).byteLength).toBe(0);
    }
    const head304 = await call(url, { method: "HEAD", headers: { "If-None-Match": etag } });
    expect(head304.status).toBe(304);
    const ranged304 = await call(url, { headers: { "If-None-Match": etag, Range: "bytes=0-9" } });
    expect(ranged304.status).toBe(304);

    const changed = await call(url, { headers: { "If-None-Match": '"something-else"' } });
    expect(changed.status).toBe(200);
    await changed.arrayBuffer();
    const old = await call(url, { headers: { "If-Modified-Since": new Date(Date.parse(lastModified) - 60_000).toUTCString() } });
    expect(old.status).toBe(200);
    await old.arrayBuffer();

    const wrongMatch = await call(url, { headers: { "If-Match": '"something-else"' } });
    expect(wrongMatch.status).toBe(412);
    const rightMatch = await call(url, { headers: { "If-Match": etag, Range: "bytes=0-9" } });
    expect(rightMatch.status).toBe(206);
    await rightMatch.arrayBuffer();

    const staleIfRange = await call(url, { headers: { "If-Range": '"old"', Range: "bytes=0-9" } });
    expect(staleIfRange.status).toBe(200);
    expect((await bytesOf(staleIfRange)).length).toBe(1000);
    const freshIfRange = await call(url, { headers: { "If-Range": etag, Range: "bytes=0-9" } });
    expect(freshIfRange.status).toBe(206);
    await freshIfRange.arrayBuffer();
  });

  it("answers 404 {reason} for a missing object", async () => {
    const res = await call(`${M}films/${crypto.randomUUID()}/nothing.ts`);
    expect(res.status).toBe(404);
    expect(await res.json()).toHaveProperty("reason");
  });

  it("answers 400 for other buckets and traversal, encoded or not; 403 for upload sources", async () => {
    const cases: Array<[string, RegExp]> = [
      // Lower-case names are old MinIO buckets (edge/playback/legacy-media.ts): 404 unless imported.
      [`${M}Secrets/x`, /^bucket:/],
      [`${M}films/..%2f..%2fetc/passwd`, /^file:/],
      [`${M}films/a/%2e%2e%2fb`, /^file:/],
      [`${M}films/a/%2E%2E%2Fb`, /^file:/],
      [`${M}films/a%5c..%5cb`, /^file:/],
      [`${M}films/a//b`, /^file:/],
      [`${M}films/a/%25252e`, /^file:/],
      [`${M}films/a/%ZZ`, /^file:/],
    ];
    for (const [url, reason] of cases) {
      const res = await call(url);
      expect(res.status, url).toBe(400);
      expect((await res.json<{ reason: string }>()).reason, url).toMatch(reason);
    }
    // A whole "../" or "%2e%2e/" segment is resolved by URL parsing before it reaches the worker: it can only
    // name another path, which is then checked like any other.
    const adId = crypto.randomUUID();
    const escaped = await call(`${M}films/x/../../ads/${adId}/image.png`);
    expect(escaped.status).toBe(404);
    expect(await escaped.json()).toEqual({ reason: `no object ads/${adId}/image.png` });
    expect((await call(`${M}films/%2e%2e/Secrets/x`)).status).toBe(400);

    const source = `films/${crypto.randomUUID()}/episodes/line1/1/source/${crypto.randomUUID()}`;
    await env.MEDIA.put(source, "secret");
    const res = await call(M + source);
    expect(res.status).toBe(403);
    expect((await res.json<{ reason: string }>()).reason).toMatch(/sources are not served/);
  });
});

describe("GET /media_list/{route}/{id}/{episode}/{key}", () => {
  it("serves a file beside the playlist from the episode's current prefix, with ranges", async () => {
    const ep = await seedEpisode({ renditions: [{ name: "720p", bandwidth: 1_000_000, durations: [6, 6] }] });
    await env.MEDIA.put(`${ep.prefix}key.bin`, new Uint8Array(16).fill(7));
    const res = await call(`${ep.path}/key.bin`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/octet-stream");
    expect(res.headers.get("cache-control")).toBe("public, max-age=60");
    expect(await bytesOf(res)).toEqual(new Uint8Array(16).fill(7));
    const ranged = await call(`${ep.path}/key.bin`, { headers: { Range: "bytes=0-3" } });
    expect(ranged.status).toBe(206);
    expect((await bytesOf(ranged)).length).toBe(4);

    // A new transcode moves the episode to a new prefix: the same name now means the new file.
    const next = `films/${ep.filmId}/episodes/line1/1/hls/${crypto.randomUUID()}/`;
    await env.MEDIA.put(`${next}key.bin`, new Uint8Array(16).fill(9));
    await env.DB.prepare("UPDATE episodes SET hls_prefix = ? WHERE film_id = ?").bind(next, ep.filmId).run();
    expect(await bytesOf(await call(`${ep.path}/key.bin`))).toEqual(new Uint8Array(16).fill(9));
  });

  it("answers 404 for a missing file or episode and 400 for a bad name", async () => {
    const ep = await seedEpisode({ renditions: [{ name: "720p", bandwidth: 1_000_000, durations: [6, 6] }] });
    expect((await call(`${ep.path}/nothing.bin`)).status).toBe(404);
    expect((await call(`/api/v1/resource/media_list/line1/${crypto.randomUUID()}/1/key.bin`)).status).toBe(404);
    for (const bad of ["a..b", ".hidden", "%2e%2e%2fx", "a%2fb", "a%5cb"]) {
      const res = await call(`${ep.path}/${bad}`);
      expect(res.status, bad).toBe(400);
      expect((await res.json<{ reason: string }>()).reason, bad).toMatch(/^param\.key:/);
    }
    // The master playlist the transcoder wrote is stored there too, but never served raw (no ads in it).
    await env.MEDIA.put(`${ep.prefix}master.m3u8`, "#EXTM3U\n");
    const master = await call(`${ep.path}/master.m3u8`);
    expect(master.status).toBe(403);
    expect(((await master.json()) as { reason: string }).reason).toMatch(/served only stitched/);
  });
});
