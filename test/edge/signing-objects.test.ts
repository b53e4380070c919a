// The transcoder's object routes: a signed token is the whole credential; unsafe keys never reach R2.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { parseRange } from "../../edge/internal/objects";
import { call, files, grant, inAnHour, keysUnder, liveJob, reasonOf, sha256 } from "./upload-support";

const OBJECTS = "/api/v1/internal/objects/";

// Generous: these move megabytes through workerd, and the suite shares 2 cores.
describe("GET /api/v1/internal/objects/{key} (signed)", { timeout: 30_000 }, () => {
  it("streams the object, or a single range of it", async () => {
    const key = `films/${crypto.randomUUID()}/episodes/line1/1/source/${crypto.randomUUID()}`;
    const body = files.mp4(100_000, 21);
    await env.MEDIA.put(key, body, { httpMetadata: { contentType: "video/mp4" } });
    const j = await liveJob({ sourceKey: key });
    const token = await grant({ u: "job-source", m: "GET", k: key, e: inAnHour(), j });

    const res = await call(`${OBJECTS}${key}?token=${token}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("video/mp4");
    expect(res.headers.get("accept-ranges")).toBe("bytes");
    expect(await sha256(await res.arrayBuffer())).toBe(await sha256(body));

    const part = await call(`${OBJECTS}${key}?token=${token}`, { headers: { range: "bytes=1000-1999" } });
    expect(part.status).toBe(206);
    expect(part.headers.get("content-range")).toBe(`bytes 1000-1999/${body.length}`);
    expect(await sha256(await part.arrayBuffer())).toBe(await sha256(body.subarray(1000, 2000)));

    const tail = await call(`${OBJECTS}${key}?token=${token}`, { headers: { range: "bytes=-10" } });
    expect(tail.status).toBe(206);
    expect(new Uint8Array(await tail.arrayBuffer())).toEqual(body.subarray(body.length - 10));

    await reasonOf(await call(`${OBJECTS}${key}?token=${token}`, { headers: { range: `bytes=${body.length}-` } }), 416);
    // Several ranges: the whole object (allowed by RFC 9110), not an error.
    expect((await call(`${OBJECTS}${key}?token=${token}`, { headers: { range: "bytes=0-1,5-6" } })).status).toBe(200);

    const missing = `films/${crypto.randomUUID()}/x`;
    await reasonOf(await call(`${OBJECTS}${missing}?token=${await grant({ u: "job-source", m: "GET", k: missing, e: inAnHour(), j: await liveJob({ sourceKey: missing }) })}`), 404);
  });

  it("refuses forged, expired, wrong-method and out-of-scope tokens with 403", async () => {
    const key = `films/${crypto.randomUUID()}/episodes/line1/1/source/${crypto.randomUUID()}`;
    await env.MEDIA.put(key, "secret source");
    const e = inAnHour();
    const j = await liveJob({ sourceKey: key });
    const cases: [string | null, RegExp][] = [
      [null, /missing/],
      [await grant({ u: "job-source", m: "GET", k: key, e, j }, "another-secret"), /signature/],
      [await grant({ u: "job-source", m: "GET", k: key, e: Math.floor(Date.now() / 1000) - 5, j }), /expired/],
      [await grant({ u: "job-source", m: "PUT", k: key, e, j }), /method/],
      [await grant({ u: "job-source", m: "GET", k: `${key}-other`, e, j }), /cover/],
      [await grant({ u: "job-source", m: "GET", p: `films/${crypto.randomUUID()}/`, e, j }), /cover/],
      [await grant({ u: "job-source", m: "GET", k: key, e, j: crypto.randomUUID() }), /no longer exists/],
      ["x", /malformed/],
      ["a.b", /signature/],
    ];
    for (const [token, reason] of cases) {
      const res = await call(`${OBJECTS}${key}${token === null ? "" : `?token=${encodeURIComponent(token)}`}`);
      expect(await reasonOf(res, 403), String(token)).toMatch(reason);
    }
  });

  it("refuses traversal and unsafe keys with 400, before looking at the token", async () => {
    const token = await grant({ u: "job-source", m: "GET", p: "films/", e: inAnHour() });
    for (const raw of [
      "films/a/..%2F..%2Fetc/passwd",
      "films/a/%2e%2e%2fb",
      "films/a/%252e%252e/b",
      "films/a/b%5cc",
      "films//a",
      "/films/a",
      "films/a/%00",
      "films/a%2Fb",
    ]) {
      const res = await call(`${OBJECTS}${raw}?token=${token}`);
      expect(await reasonOf(res, 400), raw).toMatch(/key/);
    }
    // Dot segments are resolved by URL parsing before the request exists: what arrives is a
    // different key, which the token for the original key does not cover.
    const film = crypto.randomUUID();
    const scoped = await grant({ u: "job-source", m: "GET", p: `films/${film}/`, e: inAnHour() });
    const res = await call(`${OBJECTS}films/${film}/x/%2e%2e/%2e%2e/${crypto.randomUUID()}/y?token=${scoped}`);
    expect(await reasonOf(res, 403)).toMatch(/cover/);
  });
});

describe("PUT /api/v1/internal/objects/{key} (signed, under a job's prefix)", { timeout: 30_000 }, () => {
  it("stores the body under the prefix the token covers, with the content type of its extension", async () => {
    const prefix = `films/${crypto.randomUUID()}/episodes/line1/1/hls/${crypto.randomUUID()}/`;
    const j = await liveJob({ outputPrefix: prefix });
    const token = await grant({ u: "job-output", m: "PUT", p: prefix, e: inAnHour(), s: 1024 * 1024, j });
    const playlist = "#EXTM3U\n#EXT-X-ENDLIST\n";
    const put = await call(`${OBJECTS}${prefix}720p/index.m3u8?token=${token}`, { method: "PUT", body: playlist, headers: { "content-type": "text/html" } });
    expect(put.status).toBe(201);
    expect(await put.json()).toMatchObject({ key: `${prefix}720p/index.m3u8`, size: playlist.length });
    const seg = files.mp4(300_000);
    expect((await call(`${OBJECTS}${prefix}720p/seg_00000.ts?token=${token}`, { method: "PUT", body: seg })).status).toBe(201);

    const stored = await env.MEDIA.get(`${prefix}720p/index.m3u8`);
    expect(stored!.httpMetadata?.contentType).toBe("application/vnd.apple.mpegurl");
    expect(await stored!.text()).toBe(playlist);
    expect((await env.MEDIA.head(`${prefix}720p/seg_00000.ts`))!.httpMetadata?.contentType).toBe("video/mp2t");
    expect(await keysUnder(prefix)).toEqual([`${prefix}720p/index.m3u8`, `${prefix}720p/seg_00000.ts`]);
  });

  it("refuses a token out of scope, of another method, expired or forged (403), too large (413), without length (411): nothing stored", async () => {
    const prefix = `films/${crypto.randomUUID()}/episodes/line1/1/hls/${crypto.randomUUID()}/`;
    const e = inAnHour();
    const j = await liveJob({ outputPrefix: prefix });
    const body = files.mp4(2000);
    const cases: [string, string, number, RegExp][] = [
      [`${prefix}a.ts`, await grant({ u: "job-output", m: "PUT", p: `films/${crypto.randomUUID()}/`, e, s: 10_000, j }), 403, /cover/],
      [`${prefix}a.ts`, await grant({ u: "job-output", m: "GET", p: prefix, e, j }), 403, /method/],
      [`${prefix}a.ts`, await grant({ u: "job-output", m: "PUT", p: prefix, e: Math.floor(Date.now() / 1000) - 1, s: 10_000, j }), 403, /expired/],
      [`${prefix}a.ts`, await grant({ u: "job-output", m: "PUT", p: prefix, e, s: 10_000, j }, "forger"), 403, /signature/],
      [`${prefix}a.ts`, await grant({ u: "job-output", m: "PUT", p: prefix, e, s: 1000, j }), 413, /Content-Length/],
      [`${prefix}..%2F..%2Fescape.ts`, await grant({ u: "job-output", m: "PUT", p: prefix, e, s: 10_000, j }), 400, /key/],
    ];
    for (const [key, token, status, reason] of cases) {
      expect(await reasonOf(await call(`${OBJECTS}${key}?token=${token}`, { method: "PUT", body }), status), key).toMatch(reason);
    }
    const stream = new ReadableStream({
      start(ctl) {
        ctl.enqueue(body);
        ctl.close();
      },
    });
    const token = await grant({ u: "job-output", m: "PUT", p: prefix, e, s: 10_000, j });
    expect(await reasonOf(await call(`${OBJECTS}${prefix}a.ts?token=${token}`, { method: "PUT", body: stream, duplex: "half" } as RequestInit), 411)).toMatch(/Content-Length/);
    expect(await keysUnder(prefix)).toEqual([]);
  });
});

describe("parseRange", { timeout: 30_000 }, () => {
  it("reads one range, clamps the end, and tells unsatisfiable from ignorable", () => {
    expect(parseRange("bytes=0-99", 1000)).toEqual({ offset: 0, length: 100 });
    expect(parseRange("bytes=900-5000", 1000)).toEqual({ offset: 900, length: 100 });
    expect(parseRange("bytes=-300", 1000)).toEqual({ offset: 700, length: 300 });
    expect(parseRange("bytes=-3000", 1000)).toEqual({ offset: 0, length: 1000 });
    expect(parseRange("bytes=1000-", 1000)).toBe("unsatisfiable");
    expect(parseRange("bytes=5-4", 1000)).toBe("unsatisfiable");
    expect(parseRange("bytes=0-1,3-4", 1000)).toBeNull();
    expect(parseRange("items=0-1", 1000)).toBeNull();
    expect(parseRange(undefined, 1000)).toBeNull();
  });
});

describe("OpenAPI document of the admin and internal routes", () => {
  it("lists every route once, the object routes with a plain {key}, the admin ones with the bearer scheme", async () => {
    const doc = (await (await call("/api/v1/openapi.json")).json()) as {
      paths: Record<string, Record<string, { security?: unknown[]; parameters?: { name: string; in: string }[] }>>;
      components?: { securitySchemes?: Record<string, { scheme?: string }> };
    };
    const objects = doc.paths["/api/v1/internal/objects/{key}"]!;
    expect(Object.keys(objects).sort()).toEqual(["get", "put"]);
    expect(objects.get!.parameters?.map((p) => `${p.in}:${p.name}`).sort()).toEqual(["path:key", "query:token"]);
    expect(Object.keys(doc.paths).some((p) => p.includes("{key{"))).toBe(false);
    for (const path of ["/api/v1/upload/media/", "/api/v1/upload/ad", "/api/v1/admin/uploads", "/api/v1/admin/jobs/{id}"]) {
      const op = Object.values(doc.paths[path]!)[0]!;
      expect(op.security, path).toEqual([{ adminBearer: [] }]);
    }
    expect(doc.components?.securitySchemes?.adminBearer?.scheme).toBe("bearer");
    for (const what of ["progress", "complete", "fail", "urls"]) expect(doc.paths[`/api/v1/internal/jobs/{id}/${what}`]?.post).toBeDefined();
  });
});
