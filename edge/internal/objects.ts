// Object access for the transcoder, which holds no R2 credentials: the signed token in the URL is
// the whole credential (schema/signing.ts: purpose, method, exact key or prefix, expiry, maximum
// size), and lives only as long as the job it names (a GET reads a job's source, a PUT writes its output).
import { createRoute, z } from "@hono/zod-openapi";
import { isSafeKey, verifyGrant } from "../../schema/signing";
import { INTERNAL_OBJECTS_PATH, MAX_OUTPUT_OBJECT_BYTES, jobGrantRefusal } from "../jobs";
import { ApiError } from "../lib/errors";
import { resourceApp } from "../lib/openapi";
import { requireSigningSecret } from "../lib/secrets";
import { refuse, refused } from "../lib/responses";

const CONTENT_TYPES: Record<string, string> = {
  m3u8: "application/vnd.apple.mpegurl",
  ts: "video/mp2t",
  m4s: "video/iso.segment",
  mp4: "video/mp4",
  aac: "audio/aac",
  vtt: "text/vtt",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  png: "image/png",
  webp: "image/webp",
  json: "application/json",
};

/** By extension: what the media route will serve it as, whatever the uploader claimed. */
function contentTypeOf(key: string): string {
  const ext = /\.([A-Za-z0-9]+)$/.exec(key)?.[1]?.toLowerCase();
  return (ext && CONTENT_TYPES[ext]) || "application/octet-stream";
}

/**
 * The key from the raw request path, refused when unsafe. The path is not percent-decoded: our
 * keys never contain "%", so an encoded byte can only be an attempt to smuggle "..", "/" or "\".
 */
function keyOf(url: string): string {
  const raw = new URL(url).pathname.slice(INTERNAL_OBJECTS_PATH.length);
  if (!isSafeKey(raw)) throw new ApiError(400, "key: not a safe object key (no '..', '.', leading or double '/', '\\', '%' or control characters)");
  return raw;
}

/** One `bytes=` range of an object of `size` bytes; null = serve it whole; "unsatisfiable" → 416. */
export function parseRange(header: string | undefined, size: number): { offset: number; length: number } | null | "unsatisfiable" {
  const m = header ? /^bytes=(\d*)-(\d*)$/.exec(header.trim()) : null;
  // Several ranges, or syntax we do not know: RFC 9110 lets us answer with the whole object.
  if (!m || (m[1] === "" && m[2] === "")) return null;
  if (m[1] === "") {
    const suffix = Number(m[2]);
    if (suffix === 0) return "unsatisfiable";
    const length = Math.min(suffix, size);
    return { offset: size - length, length };
  }
  const start = Number(m[1]);
  const end = m[2] === "" ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (start >= size || end < start) return "unsatisfiable";
  return { offset: start, length: end - start + 1 };
}

const Token = z.object({ token: z.string().optional() });
// `{key{.+}}` lets the key span slashes; handlers read it from the raw path (keyOf) anyway.
const path = `${INTERNAL_OBJECTS_PATH}{key{.+}}`;

const readRoute = createRoute({
  method: "get",
  path,
  hide: true,
  tags: ["internal"],
  summary: "Read an object through a signed GET token (a job's source); one Range supported",
  request: { query: Token },
  responses: {
    200: { description: "the object" },
    206: { description: "the requested range" },
    ...refused(400, 403, 404, 416, 503),
  },
});

const writeRoute = createRoute({
  method: "put",
  path,
  hide: true,
  tags: ["internal"],
  summary: "Store an object through a signed PUT token (a job's output); Content-Length required",
  request: { query: Token },
  responses: {
    201: { description: "stored", content: { "application/json": { schema: z.object({ key: z.string(), size: z.number(), etag: z.string() }) } } },
    ...refused(400, 403, 411, 413, 503),
  },
});

export const internalObjects = resourceApp()
  .openapi(
    readRoute,
    async (c) => {
      const key = keyOf(c.req.url);
      const check = await verifyGrant(requireSigningSecret(c.env), c.req.valid("query").token, { purpose: "job-source", method: "GET", key });
      if (!check.ok) return refuse(c, 403, check.reason);
      const dead = await jobGrantRefusal(c.var.db, check.grant);
      if (dead) return refuse(c, 403, dead);

      const rangeHeader = c.req.header("range");
      let range: { offset: number; length: number } | null = null;
      if (rangeHeader) {
        const head = await c.env.MEDIA.head(key);
        if (!head) return refuse(c, 404, `no object ${key}`);
        const r = parseRange(rangeHeader, head.size);
        if (r === "unsatisfiable") {
          return refuse(c, 416, `Range: ${rangeHeader} is outside the object's ${head.size} bytes`, { "Content-Range": `bytes */${head.size}` });
        }
        range = r;
      }
      const obj = await c.env.MEDIA.get(key, range ? { range } : {});
      if (!obj) return refuse(c, 404, `no object ${key}`);
      const headers = new Headers({
        "Content-Type": obj.httpMetadata?.contentType ?? contentTypeOf(key),
        "Accept-Ranges": "bytes",
        ETag: obj.httpEtag,
        "Cache-Control": "private, no-store",
      });
      if (range) {
        headers.set("Content-Range", `bytes ${range.offset}-${range.offset + range.length - 1}/${obj.size}`);
        headers.set("Content-Length", String(range.length));
        return new Response(obj.body, { status: 206, headers });
      }
      headers.set("Content-Length", String(obj.size));
      return new Response(obj.body, { status: 200, headers });
    },
  )
  .openapi(
    writeRoute,
    async (c) => {
      const key = keyOf(c.req.url);
      const check = await verifyGrant(requireSigningSecret(c.env), c.req.valid("query").token, { purpose: "job-output", method: "PUT", key });
      if (!check.ok) return refuse(c, 403, check.reason);
      // A finished or superseded job's prefix is being served as immutable (or being deleted): no more writes.
      const dead = await jobGrantRefusal(c.var.db, check.grant);
      if (dead) return refuse(c, 403, dead);
      const declared = c.req.header("content-length");
      if (declared === undefined || !/^\d+$/.test(declared)) return refuse(c, 411, "Content-Length: required");
      const size = Number(declared);
      const max = Math.min(check.grant.s ?? MAX_OUTPUT_OBJECT_BYTES, MAX_OUTPUT_OBJECT_BYTES);
      if (size > max) return refuse(c, 413, `Content-Length: ${size} bytes is more than this token allows (${max})`);
      // A body with a declared length streams straight into R2.
      const body = size === 0 || !c.req.raw.body ? new Uint8Array(0) : c.req.raw.body;
      const obj = await c.env.MEDIA.put(key, body, { httpMetadata: { contentType: contentTypeOf(key) } });
      return c.json({ key, size: obj.size, etag: obj.etag }, 201);
    },
  );

// Documented with a plain `{key}` (the router's `{key{.+}}` would leak into the document).
const KeyParam = z.object({ key: z.string().openapi({ description: "the object key; may contain '/'", example: "films/{filmId}/episodes/line1/1/source/{jobId}" }) });
for (const route of [readRoute, writeRoute]) {
  const { hide: _hide, ...doc } = route;
  internalObjects.openAPIRegistry.registerPath({ ...doc, path: `${INTERNAL_OBJECTS_PATH}{key}`, request: { ...doc.request, params: KeyParam } });
}
