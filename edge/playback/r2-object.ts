// An R2 object as an HTTP answer: GET and HEAD, one byte range (206/416), preconditions (304/412), and the
// headers a player or CDN needs (Content-Type, Content-Length, ETag, Last-Modified, Accept-Ranges, Cache-Control).

import { reasonResponse } from "../lib/responses";
import { contentTypeOf } from "./media-policy";
import { type Validators, ifRangeHolds, parseRange, preconditions, resolvedRange } from "./http-conditions";

export interface Served {
  response: Response;
  /** First byte sent, for a 200 or 206 with a body. */
  start?: number;
}

function baseHeaders(obj: R2Object, key: string, cacheControl: string): Headers {
  const h = new Headers();
  obj.writeHttpMetadata(h);
  if (!h.has("Content-Type")) h.set("Content-Type", contentTypeOf(key));
  h.set("ETag", obj.httpEtag);
  h.set("Last-Modified", obj.uploaded.toUTCString());
  h.set("Accept-Ranges", "bytes");
  h.set("Cache-Control", cacheControl);
  return h;
}

const validators = (obj: R2Object): Validators => ({ etag: obj.httpEtag, lastModified: obj.uploaded });

function notModified(status: 304 | 412, obj: R2Object, key: string, cacheControl: string): Response {
  if (status === 412) return reasonResponse(412, "precondition failed", { ETag: obj.httpEtag });
  const h = baseHeaders(obj, key, cacheControl);
  h.delete("Content-Type");
  return new Response(null, { status: 304, headers: h });
}

function isUnsatisfiable(e: unknown): boolean {
  return /not satisfiable|10039/i.test(String(e));
}

export async function serveObject(bucket: R2Bucket, key: string, req: Request, cacheControl: string): Promise<Served> {
  if (req.method === "HEAD") {
    const obj = await bucket.head(key);
    if (!obj) return { response: reasonResponse(404, `no object ${key}`) };
    const pre = preconditions(req.headers, validators(obj));
    if (pre !== 200) return { response: notModified(pre, obj, key, cacheControl) };
    const h = baseHeaders(obj, key, cacheControl);
    h.set("Content-Length", String(obj.size));
    return { response: new Response(null, { status: 200, headers: h }) };
  }

  const wanted = parseRange(req.headers.get("range"));
  if (wanted.kind === "unsatisfiable") {
    const head = await bucket.head(key);
    return { response: head ? unsatisfiable(head, key, cacheControl) : reasonResponse(404, `no object ${key}`) };
  }
  let obj: R2Object | R2ObjectBody | null;
  try {
    // R2 evaluates the preconditions itself and leaves the body out when they fail: one round trip.
    obj = await bucket.get(key, { onlyIf: req.headers, ...(wanted.kind === "range" ? { range: wanted.range } : {}) });
  } catch (e) {
    if (!isUnsatisfiable(e)) {
      if (!CONDITIONALS.some((h) => req.headers.has(h))) throw e;
      return servedDespiteBadConditionals(bucket, key, req, cacheControl);
    }
    // R2 refuses a range that starts past the end; only then do we need the size.
    const head = await bucket.head(key);
    return { response: head ? unsatisfiable(head, key, cacheControl) : reasonResponse(404, `no object ${key}`) };
  }
  if (!obj) return { response: reasonResponse(404, `no object ${key}`) };
  if (!("body" in obj) || !obj.body) {
    const pre = preconditions(req.headers, validators(obj));
    return { response: notModified(pre === 200 ? 304 : pre, obj, key, cacheControl) };
  }

  const h = baseHeaders(obj, key, cacheControl);
  if (wanted.kind === "range" && ifRangeHolds(req.headers, validators(obj))) {
    const { start, end } = resolvedRange(obj.range ?? wanted.range, obj.size);
    h.set("Content-Range", `bytes ${start}-${end}/${obj.size}`);
    h.set("Content-Length", String(end - start + 1));
    return { response: new Response(obj.body, { status: 206, headers: h }), start };
  }
  if (wanted.kind === "range") {
    // If-Range did not hold: the whole, current object instead. The ranged body is of no use.
    await obj.body.cancel();
    const whole = await bucket.get(key);
    if (!whole) return { response: reasonResponse(404, `no object ${key}`) };
    h.set("Content-Length", String(whole.size));
    return { response: new Response(whole.body, { status: 200, headers: h }), start: 0 };
  }
  h.set("Content-Length", String(obj.size));
  return { response: new Response(obj.body, { status: 200, headers: h }), start: 0 };
}

/** The headers `onlyIf: req.headers` hands to R2. */
const CONDITIONALS = ["if-match", "if-none-match", "if-modified-since", "if-unmodified-since"];

/**
 * R2 throws on a conditional header it cannot parse (e.g. `If-None-Match: """`), which would be a 500 for
 * a client's typo. Judge the preconditions here instead (a malformed one matches nothing, as RFC 9110
 * lets a server treat it), then serve as if they had not been sent.
 */
async function servedDespiteBadConditionals(bucket: R2Bucket, key: string, req: Request, cacheControl: string): Promise<Served> {
  const head = await bucket.head(key);
  if (!head) return { response: reasonResponse(404, `no object ${key}`) };
  const pre = preconditions(req.headers, validators(head));
  if (pre !== 200) return { response: notModified(pre, head, key, cacheControl) };
  const headers = new Headers(req.headers);
  for (const h of CONDITIONALS) headers.delete(h);
  return serveObject(bucket, key, new Request(req.url, { method: req.method, headers }), cacheControl);
}

function unsatisfiable(obj: R2Object, key: string, cacheControl: string): Response {
  const h = baseHeaders(obj, key, cacheControl);
  h.set("Content-Range", `bytes */${obj.size}`);
  return reasonResponse(416, `range: not satisfiable for an object of ${obj.size} bytes`, h);
}
