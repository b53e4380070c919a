// The hostile-input table: malformed requests across every route of the edge, built from the value lists of
// hostile-values.ts crossed with the routes that take them, plus hand-written cases for bodies, headers and
// credentials. Each case has a name that says what is wrong and what must come back. The test
// (test/edge/hostile-input.test.ts) runs them against the worker and checks that nothing changed.
// Pure: signing is Web Crypto only; the fixtures (ids of real rows) come from the test.

import { signPlan } from "../../edge/hls/plan-token";
import { signImpression } from "../../edge/playback/impression-token";
import { type Grant, base64url, hmac, signGrant, signRequest } from "../../schema/signing";
import { BAD_ENUMS, BAD_IDS, BAD_NUMBERS, type Labeled, ODD_SEARCH_TEXTS, TRAVERSAL_KEYS } from "./hostile-values";

/** Real rows and objects the cases aim at, so a request gets past the outer checks to the deep ones. */
export interface HostileFixtures {
  adminToken: string;
  signingSecret: string;
  /** A film with actors and directors, no episodes. */
  filmId: string;
  /** A ready episode with two renditions and their segments in R2; `jobId`: its job, complete. */
  ready: { filmId: string; route: string; episode: string; prefix: string; rendition: string; segmentKey: string; jobId: string };
  /** An episode whose source was uploaded and whose job is queued (status processing). */
  processing: { filmId: string; route: string; episode: string; jobId: string; outputPrefix: string; sourceKey: string };
  /** A ready FILM ad. */
  filmAdId: string;
  /** The first segment of that ad's only rendition. */
  filmAdSegmentKey: string;
  /** A signed /urls request of the processing job, already answered once (its nonce is used). */
  usedUrls: { path: string; headers: Record<string, string> };
  /** An image ad's key (public under the media route). */
  imageAdKey: string;
  /** An open signed multipart upload of two parts (part 1 is 8 MiB). */
  upload: { id: string; partSize: number; partCount: number };
  /** A UUID no row has. */
  unknownId: string;
}

export interface HostileRequest {
  method: string;
  /** Path and query, raw (percent-encoding as the attack wants it). */
  path: string;
  headers?: Record<string, string>;
  /** (Uint8Array spelled out: the DOM and the Workers typings disagree on whether it is a BodyInit.) */
  body?: BodyInit | Uint8Array | ReadableStream<Uint8Array> | null;
  /** Vars changed for this request only (e.g. MEDIA_SIGNING=on, a smaller MAX_UPLOAD_BYTES). */
  vars?: Record<string, string>;
}

/** An exact status, any 4xx, or (for requests that are odd but legal, e.g. Range headers) anything below 500. */
export type Expected = number | "4xx" | "below 500";

export interface HostileCase {
  name: string;
  expect: Expected;
  request: (fx: HostileFixtures) => HostileRequest | Promise<HostileRequest>;
}

const enc = new TextEncoder();
type Bytes = Uint8Array;
const nowSeconds = () => Math.floor(Date.now() / 1000);
const inAnHour = () => nowSeconds() + 3600;
const json = { "content-type": "application/json" };
const bearer = (fx: HostileFixtures) => ({ authorization: `Bearer ${fx.adminToken}` });

// ---- bodies ----------------------------------------------------------------------------------------

function bytes(head: number[] | string, size: number): Bytes {
  const h = typeof head === "string" ? enc.encode(head) : Uint8Array.from(head);
  const out = new Uint8Array(Math.max(size, h.length)).fill(0x5a);
  out.set(h, 0);
  return out;
}
export const PNG = (size = 2048) => bytes([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], size);
export const MP4 = (size = 4096) => bytes([0, 0, 0, 0x20, ...enc.encode("ftypisom")], size);
const TEXT = (size = 2048) => bytes("just some text, not a picture or a video\n", size);

const BOUNDARY = "hostile-boundary-7d1c";
const FORM_TYPE = `multipart/form-data; boundary=${BOUNDARY}`;

type RawPart = { name: string; filename?: string; type?: string; body: Bytes | string; headers?: string };

/** A multipart body written by hand, so it can be broken in ways FormData never is. */
export function rawForm(parts: RawPart[], opts: { boundary?: string; close?: boolean; preamble?: string } = {}): Bytes {
  const b = opts.boundary ?? BOUNDARY;
  const chunks: Bytes[] = [enc.encode(opts.preamble ?? "")];
  for (const p of parts) {
    const disposition = `Content-Disposition: form-data; name="${p.name}"${p.filename !== undefined ? `; filename="${p.filename}"` : ""}`;
    const head = p.headers ?? `${disposition}\r\n${p.type ? `Content-Type: ${p.type}\r\n` : ""}`;
    chunks.push(enc.encode(`--${b}\r\n${head}\r\n`), typeof p.body === "string" ? enc.encode(p.body) : p.body, enc.encode("\r\n"));
  }
  if (opts.close !== false) chunks.push(enc.encode(`--${b}--\r\n`));
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

const filePart = (body: Bytes, name = "file"): RawPart => ({ name, filename: "upload.bin", type: "application/octet-stream", body });

/** A body of `size` bytes as a stream, so no Content-Length goes with it. */
function streamOf(size: number, head: Bytes = new Uint8Array(0)): ReadableStream<Bytes> {
  const chunk = new Uint8Array(64 * 1024).fill(0x5a);
  let sent = 0;
  return new ReadableStream({
    pull(controller) {
      if (sent >= size) return controller.close();
      let piece = chunk.subarray(0, Math.min(chunk.length, size - sent));
      if (sent === 0 && head.length > 0) {
        piece = new Uint8Array(piece);
        piece.set(head.subarray(0, piece.length));
      }
      sent += piece.length;
      controller.enqueue(piece);
    },
  });
}

/** A multipart form whose file part is `fileBytes` long, streamed (no Content-Length). */
function streamedForm(fileHead: Bytes, fileBytes: number): ReadableStream<Bytes> {
  const before = rawForm([{ ...filePart(new Uint8Array(0)) }], { close: false });
  const opening = before.subarray(0, before.length - 2); // without the part's closing CRLF
  const closing = enc.encode(`\r\n--${BOUNDARY}--\r\n`);
  const file = streamOf(fileBytes, fileHead).getReader();
  let stage = 0;
  return new ReadableStream({
    async pull(controller) {
      if (stage === 0) {
        stage = 1;
        return controller.enqueue(opening);
      }
      if (stage === 1) {
        const { done, value } = await file.read();
        if (!done) return controller.enqueue(value);
        stage = 2;
        return controller.enqueue(closing);
      }
      controller.close();
    },
  });
}

/** A multipart form whose stream fails after `before` bytes of the file: a client that vanished mid-upload. */
function brokenForm(fileHead: Bytes, before: number): ReadableStream<Bytes> {
  const inner = streamedForm(fileHead, before * 4).getReader();
  let sent = 0;
  return new ReadableStream({
    async pull(controller) {
      if (sent >= before) return controller.error(new Error("Network connection lost."));
      const { done, value } = await inner.read();
      if (done) return controller.close();
      sent += value.length;
      controller.enqueue(value);
    },
  });
}

const FILM_BODY = {
  title: "Hostile film",
  type: "MOVIE",
  category: "MOVIE_DRAMA",
  location: "US",
  state: "",
  introduction: "",
  releaseYear: 2024,
  actors: ["A"],
  directors: ["D"],
};

const filmWith = (patch: Record<string, unknown>) => JSON.stringify({ ...FILM_BODY, ...patch });

// ---- signing ---------------------------------------------------------------------------------------

async function signedPost(fx: HostileFixtures, path: string, body: string, opts: { now?: number; signedPath?: string; signedBody?: string; secret?: string } = {}) {
  const headers = await signRequest(opts.secret ?? fx.signingSecret, "POST", opts.signedPath ?? path.split("?")[0]!, opts.signedBody ?? body, opts.now);
  return { method: "POST", path, headers: { ...json, ...headers }, body };
}

const grant = (fx: HostileFixtures, g: Grant, secret?: string) => signGrant(secret ?? fx.signingSecret, g);

/** The signature half of a token, swapped for another of the same length. */
const forge = (token: string) => {
  const [payload, sig] = token.split(".");
  return `${payload}.${sig!.split("").reverse().join("")}`;
};

// ---- the table ---------------------------------------------------------------------------------

const cases: HostileCase[] = [];
const add = (name: string, expect: Expected, request: HostileCase["request"]) => cases.push({ name, expect, request });
const get = (path: string, headers?: Record<string, string>): HostileRequest => ({ method: "GET", path, headers });

function catalogCases() {
  const A = "/api/v1/affair";
  for (const [label, v] of BAD_ENUMS) {
    add(`catalog: filter by MediaType ${label} → 400`, 400, () => get(`${A}/filter/${v}`));
    add(`catalog: popular by MediaType ${label} → 400`, 400, () => get(`${A}/popular/type/${v}`));
    add(`catalog: popular by MediaCategory ${label} → 400`, 400, () => get(`${A}/popular/category/${v}`));
    add(`catalog: ranked by MediaCategory ${label} → 400`, 400, () => get(`${A}/ranked/${v}`));
    add(`catalog: ad of AdType ${label} → 400`, 400, () => get(`${A}/ad/${v}`));
    add(`catalog: filter with category=${label} → 400`, 400, () => get(`${A}/filter/MOVIE?category=${v}`));
    add(`catalog: filter with location=${label} → 400`, 400, () => get(`${A}/filter/MOVIE?location=${v}`));
    add(`catalog: filter with order_type=${label} → 400`, 400, () => get(`${A}/filter/HOME?order_type=${v}`));
  }
  add("catalog: filter with a location as the category → 400", 400, () => get(`${A}/filter/MOVIE?category=US`));
  add("catalog: filter with an order type in the wrong case → 400", 400, () => get(`${A}/filter/MOVIE?order_type=updatetime`));

  const paged = [`${A}`, `${A}/filter/MOVIE`, `${A}/popular/type/HOME`, `${A}/popular/category/ALL_CATEGORY`, `${A}/ranked/MOVIE_DRAMA`];
  for (const [label, v] of BAD_NUMBERS) {
    // An empty parameter is an absent one for the catalog (edge/compat/lenient-query.ts).
    if (label === "empty") continue;
    for (const p of paged) add(`catalog: ${p.slice(A.length) || "/"} with limit=${label} → 400`, 400, () => get(`${p}?limit=${v}`));
    add(`catalog: list with offset=${label} → 400`, 400, () => get(`${A}?offset=${v}`));
    add(`catalog: search with offset=${label} → 400`, 400, () => get(`${A}/search/content?content=star&offset=${v}`));
    add(`catalog: celebrity with limit=${label} → 400`, 400, () => get(`${A}/search/celebrity?content=A&limit=${v}`));
    add(`catalog: filter with release_year=${label} → 400`, 400, () => get(`${A}/filter/MOVIE?release_year=${v}`));
  }
  add("catalog: limit=0 → 400", 400, () => get(`${A}?limit=0`));
  add("catalog: offset of 8 digits → 400", 400, () => get(`${A}?offset=10000000`));
  add("catalog: limit given twice → 400", 400, () => get(`${A}?limit=1&limit=2`));
  add("catalog: release_year of 5 digits → 400", 400, () => get(`${A}/filter/MOVIE?release_year=20240`));

  for (const [label, v] of BAD_IDS) {
    add(`catalog: film_information of ${label} → 400`, 400, () => get(`${A}/film_information/${v}`));
    add(`catalog: film routes of ${label} → 400`, 400, () => get(`${A}/film_information/routes/${v}`));
  }
  add("catalog: film_information of an unknown id → 404", 404, (fx) => get(`${A}/film_information/${fx.unknownId}`));
  add("catalog: film routes of an unknown id → 404", 404, (fx) => get(`${A}/film_information/routes/${fx.unknownId}`));
  add("catalog: film_information with an empty id → 404 (no such route)", 404, () => get(`${A}/film_information/`));

  add("catalog: search content of 1001 characters → 400", 400, () => get(`${A}/search/content?content=${"x".repeat(1001)}`));
  add("catalog: celebrity content of 1001 characters → 400", 400, () => get(`${A}/search/celebrity?content=${"x".repeat(1001)}`));
  add("catalog: search content given twice → 400", 400, () => get(`${A}/search/content?content=a&content=b`));
  add("catalog: 32 KiB query string of junk parameters → below 500", "below 500", () => get(`${A}?${"junk=x&".repeat(4700)}`));
  add("catalog: 64 KiB header value → below 500", "below 500", () => get(`${A}/filter/MOVIE`, { "x-junk": "j".repeat(64 * 1024) }));
  add("catalog: 200 junk headers → below 500", "below 500", () =>
    get(`${A}/ranked/ALL_CATEGORY`, Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`x-junk-${i}`, "v".repeat(100)]))),
  );
  add("catalog: If-None-Match garbage → below 500", "below 500", () => get(`${A}/popular/type/MOVIE`, { "if-none-match": '"""W/' }));
  add("catalog: POST to a GET route → 404", 404, () => ({ method: "POST", path: `${A}/filter/MOVIE`, headers: json, body: "{}" }));
  add("catalog: DELETE the ad route → 404", 404, () => ({ method: "DELETE", path: `${A}/ad/FILM` }));
  add("catalog: an unknown route under /affair → 404", 404, () => get(`${A}/nothing/here`));
}

function mediaCases() {
  const R = "/api/v1/resource";
  // Names may be any visible text up to a length (schema/ids.ts): these are what is still refused.
  const BAD_ROUTES: Labeled[] = [
    ["a tab", "line%091"],
    ["64 characters", "l".repeat(64)],
    ["encoded dot-dot", "%2e%2e"],
    ["a percent sign", "line%25"],
    ["a NUL byte", "line1%00"],
    ["a lone surrogate", "%ED%A0%80"],
  ];
  const BAD_EPISODES: Labeled[] = [
    ["a leading space", "%201"],
    ["a backslash", "1%5C2"],
    ["an encoded slash", "1%2F2"],
    ["65 characters", "e".repeat(65)],
    ["a zero-width space", "1%E2%80%8B"],
    ["a lone surrogate", "%ED%A0%80"],
  ];
  const ep = (fx: HostileFixtures) => `${R}/media_list/${fx.ready.route}/${fx.ready.filmId}/${fx.ready.episode}`;

  for (const [label, v] of BAD_ROUTES) add(`media: master playlist with route ${label} → 400`, 400, (fx) => get(`${R}/media_list/${v}/${fx.ready.filmId}/1`));
  for (const [label, v] of BAD_IDS) add(`media: master playlist with film id ${label} → 400`, 400, () => get(`${R}/media_list/line1/${v}/1`));
  for (const [label, v] of BAD_EPISODES) add(`media: master playlist with episode ${label} → 400`, 400, (fx) => get(`${R}/media_list/line1/${fx.ready.filmId}/${v}`));
  add("media: master playlist of an unknown film → 404", 404, (fx) => get(`${R}/media_list/line1/${fx.unknownId}/1`));
  add("media: master playlist of an episode still processing → 404", 404, (fx) => get(`${R}/media_list/${fx.processing.route}/${fx.processing.filmId}/${fx.processing.episode}`));

  // Variant playlists: the signed ad plan is the credential.
  const variant = (fx: HostileFixtures, plan?: string, name = fx.ready.rendition) => get(`${ep(fx)}/v/${name}.m3u8${plan === undefined ? "" : `?plan=${plan}`}`);
  const scope = (fx: HostileFixtures) => `${fx.ready.filmId}/${fx.ready.route}/${fx.ready.episode}`;
  add("media: variant without a plan → 400", 400, (fx) => variant(fx));
  add("media: variant with an empty plan → 400", 400, (fx) => variant(fx, ""));
  add("media: variant with a garbage plan → 403", 403, (fx) => variant(fx, "garbage"));
  add("media: variant with a three-part plan → 403", 403, (fx) => variant(fx, "a.b.c"));
  add("media: variant with a plan of invalid base64 length → 403", 403, (fx) => variant(fx, "abcde.abcde"));
  add("media: variant with a plan of 4097 characters → 400", 400, (fx) => variant(fx, "p".repeat(4097)));
  add("media: variant with a forged plan signature → 403", 403, async (fx) =>
    variant(fx, forge(await signPlan(fx.signingSecret, { scope: scope(fx), breaks: [], exp: inAnHour() }))),
  );
  add("media: variant with a plan signed by another secret → 403", 403, async (fx) =>
    variant(fx, await signPlan("not-the-secret", { scope: scope(fx), breaks: [], exp: inAnHour() })),
  );
  add("media: variant with an expired plan → 403", 403, async (fx) => variant(fx, await signPlan(fx.signingSecret, { scope: scope(fx), breaks: [], exp: nowSeconds() - 60 })));
  add("media: variant with another episode's plan → 403", 403, async (fx) =>
    variant(fx, await signPlan(fx.signingSecret, { scope: `${fx.unknownId}/line1/1`, breaks: [], exp: inAnHour() })),
  );
  add("media: variant with a valid plan but an unknown rendition → 404", 404, async (fx) =>
    variant(fx, await signPlan(fx.signingSecret, { scope: scope(fx), breaks: [], exp: inAnHour() }), "nope"),
  );
  for (const [label, name] of [
    ["no .m3u8", "720p"],
    ["a doubled extension", "720p.m3u8.m3u8"],
    ["an encoded dot-dot", "%2e%2e"],
    ["33 characters", "r".repeat(33)],
  ] as const) {
    add(`media: variant named with ${label} → 400`, 400, (fx) => get(`${ep(fx)}/v/${name}`));
  }

  // A file beside the playlist.
  for (const [label, key] of [
    ["a leading dot", ".env"],
    ["dot-dot inside", "a..m3u8"],
    ["an encoded dot-dot", "%2e%2e"],
    ["an encoded slash", "a%2Fb"],
    ["129 characters", "k".repeat(129)],
    ["a NUL byte", "master.m3u8%00"],
    ["a lone surrogate", "%ED%A0%80"],
  ] as const) {
    add(`media: file beside the playlist named with ${label} → 400`, 400, (fx) => get(`${ep(fx)}/${key}`));
  }
  add("media: a file beside the playlist with If-None-Match garbage → below 500", "below 500", (fx) => get(`${ep(fx)}/${fx.ready.rendition}.m3u8`, { "if-none-match": '"""' }));
  add("media: a missing file beside the playlist → 404", 404, (fx) => get(`${ep(fx)}/nothing.key`));
  add("media: a file beside the playlist with MEDIA_SIGNING on and no token → 403", 403, (fx) => ({
    ...get(`${ep(fx)}/${fx.ready.rendition}.m3u8`),
    vars: { MEDIA_SIGNING: "on" },
  }));

  // Objects.
  const M = `${R}/media`;
  for (const [label, key] of TRAVERSAL_KEYS) add(`media: object under films/ with ${label} → 400`, 400, (fx) => get(`${M}/films/${fx.ready.filmId}/${key}`));
  // Plain traversal: the URL parser folds the dot segments before the worker sees them, so these land on
  // other routes (or none), which must refuse them all the same.
  add("media: plain ../ out of films/ → 4xx", "4xx", (fx) => get(`${M}/films/${fx.ready.filmId}/../../../../../wrangler.toml`));
  add("media: plain ./ and ../ inside a key → 4xx", "4xx", (fx) => get(`${M}/films/./${fx.ready.filmId}/../x.ts`));
  add("media: raw backslashes for slashes → 4xx", "4xx", () => get(`${M}/films\\..\\..\\wrangler.toml`));
  for (const [label, bucket] of [
    ["a bucket in upper case", "FILMS"],
    ["an encoded dot-dot bucket", "%2e%2e"],
    ["a prototype key as bucket", "__proto__"],
  ] as const) {
    add(`media: object in ${label} → 400`, 400, () => get(`${M}/${bucket}/x.ts`));
  }
  // A name an old MinIO bucket could have had: an old URL (edge/playback/legacy-media.ts) of nothing imported.
  add("media: object in an unknown bucket named like an old one → 404", 404, () => get(`${M}/etc/x.ts`));
  add("media: object key ending in a slash → 400", 400, (fx) => get(`${M}/films/${fx.ready.filmId}/`));
  add("media: an upload source through the public route → 403", 403, (fx) => get(`${M}/${fx.processing.sourceKey}`));
  add("media: a missing object → 404", 404, (fx) => get(`${M}/films/${fx.unknownId}/episodes/line1/1/hls/x/seg_00000.ts`));
  add("media: an object with an emoji key → 404", 404, () => get(`${M}/films/%F0%9F%8E%AC.ts`));
  add("media: HEAD of a missing object → 404", 404, (fx) => ({ method: "HEAD", path: `${M}/films/${fx.unknownId}/poster/x.png` }));
  for (const [label, token] of [
    ["no token", undefined],
    ["a garbage token", "garbage"],
    ["a token of invalid base64 length", "abcde.abcde"],
  ] as const) {
    add(`media: a segment with MEDIA_SIGNING on and ${label} → 403`, 403, (fx) => ({
      ...get(`${M}/${fx.ready.segmentKey}${token === undefined ? "" : `?token=${token}`}`),
      vars: { MEDIA_SIGNING: "on" },
    }));
  }
  add("media: a segment with MEDIA_SIGNING on and an expired token → 403", 403, async (fx) => ({
    ...get(`${M}/${fx.ready.segmentKey}?token=${await grant(fx, { u: "viewer-media", m: "GET", p: fx.ready.prefix, e: nowSeconds() - 60 })}`),
    vars: { MEDIA_SIGNING: "on" },
  }));
  add("media: a segment with MEDIA_SIGNING on and another prefix's token → 403", 403, async (fx) => ({
    ...get(`${M}/${fx.ready.segmentKey}?token=${await grant(fx, { u: "viewer-media", m: "GET", p: `films/${fx.unknownId}/`, e: inAnHour() })}`),
    vars: { MEDIA_SIGNING: "on" },
  }));
  add("media: a segment with MEDIA_SIGNING on and a PUT token → 403", 403, async (fx) => ({
    ...get(`${M}/${fx.ready.segmentKey}?token=${await grant(fx, { u: "viewer-media", m: "PUT", p: fx.ready.prefix, e: inAnHour() })}`),
    vars: { MEDIA_SIGNING: "on" },
  }));
  add("media: a segment with MEDIA_SIGNING on and a forged token → 403", 403, async (fx) => ({
    ...get(`${M}/${fx.ready.segmentKey}?token=${forge(await grant(fx, { u: "viewer-media", m: "GET", p: fx.ready.prefix, e: inAnHour() }))}`),
    vars: { MEDIA_SIGNING: "on" },
  }));
  // Odd but legal conditional and range headers: whatever the answer, never a 5xx.
  for (const [label, headers] of [
    ["Range: bytes=abc", { range: "bytes=abc" }],
    ["Range past the end", { range: "bytes=999999999-" }],
    ["Range end before start", { range: "bytes=5-1" }],
    ["Range: bytes=-0", { range: "bytes=-0" }],
    ["two ranges", { range: "bytes=0-0,5-6" }],
    ["a range of 2^64", { range: "bytes=18446744073709551616-" }],
    ["Range in another unit", { range: "chars=0-1" }],
    ["If-Modified-Since garbage", { "if-modified-since": "yesterday-ish" }],
    ["If-Unmodified-Since in the year 1000", { "if-unmodified-since": "Mon, 01 Jan 1000 00:00:00 GMT" }],
    ["If-None-Match garbage", { "if-none-match": '"""' }],
    ["If-None-Match of a bare W/", { "if-none-match": "W/" }],
    ["If-Match garbage", { "if-match": '"a""b' }],
    ["If-None-Match garbage and a range", { "if-none-match": '"x', range: "bytes=0-1" }],
    ["If-Match that cannot match", { "if-match": '"nope"' }],
    ["If-Range garbage with a range", { "if-range": "garbage", range: "bytes=0-1" }],
  ] as const) {
    add(`media: a segment with ${label} → below 500`, "below 500", (fx) => get(`${M}/${fx.ready.segmentKey}`, headers));
  }
  add("media: PUT on the public media route → 404", 404, (fx) => ({ method: "PUT", path: `${M}/${fx.ready.segmentKey}`, body: "x" }));
}

function uploadCases() {
  const U = "/api/v1/upload";
  const create = (body: HostileRequest["body"], headers: Record<string, string> = json) => (fx: HostileFixtures) => ({
    method: "POST",
    path: `${U}/media/`,
    headers: { ...bearer(fx), ...headers },
    body,
  });

  // Create a film: broken JSON, wrong shapes, wrong types of each field.
  for (const [label, body] of [
    ["an empty body", ""],
    ["a truncated object", '{"title": "x", "type": '],
    ["a trailing comma", `${filmWith({}).slice(0, -1)},}`],
    ["single quotes", "{'title': 'x'}"],
    ["a BOM and junk", "\uFEFF}{"],
    ["unescaped control characters", '{"title": "a\u0001b"'],
    ["NaN as a number", filmWith({}).replace("2024", "NaN")],
    ["JSON null", "null"],
    ["a JSON array", "[]"],
    ["a JSON string", '"film"'],
    ["a JSON number", "42"],
    ["100,000 nested arrays", `${"[".repeat(100_000)}${"]".repeat(100_000)}`],
  ] as const) {
    add(`upload: create film with ${label} → 400`, 400, create(body));
  }
  for (const [label, patch] of [
    ["title a number", { title: 1 }],
    ["title empty", { title: "" }],
    ["title only spaces", { title: "   " }],
    ["title of 201 characters", { title: "t".repeat(201) }],
    ["type HOME (a filter value, not a type)", { type: "HOME" }],
    ["type unknown", { type: "CARTOON" }],
    ["type an array", { type: ["MOVIE"] }],
    ["category ALL_CATEGORY", { category: "ALL_CATEGORY" }],
    ["category unknown", { category: "MOVIE_WESTERN" }],
    ["location ALL_LOCATION", { location: "ALL_LOCATION" }],
    ["location a number", { location: 7 }],
    ["releaseYear a string", { releaseYear: "2024" }],
    ["releaseYear negative", { releaseYear: -1 }],
    ["releaseYear 10000", { releaseYear: 10000 }],
    ["releaseYear a fraction", { releaseYear: 2024.5 }],
    ["releaseYear 1e308", { releaseYear: 1e308 }],
    ["releaseYear 2^53", { releaseYear: 2 ** 53 }],
    ["actors a string", { actors: "A, B" }],
    ["actors numbers", { actors: [1, 2] }],
    ["an empty actor name", { actors: [""] }],
    ["201 actors", { actors: Array.from({ length: 201 }, (_, i) => `a${i}`) }],
    ["an actor name of 101 characters", { actors: ["a".repeat(101)] }],
    ["directors null", { directors: null }],
    ["introduction of 10,001 characters", { introduction: "i".repeat(10_001) }],
    ["state of 201 characters", { state: "s".repeat(201) }],
    ["language of 51 characters", { language: "l".repeat(51) }],
    ["state an object", { state: { $gt: "" } }],
  ] as const) {
    add(`upload: create film with ${label} → 400`, 400, create(filmWith(patch)));
  }
  add("upload: create film without title, type, category, location → 400", 400, create("{}"));
  add("upload: create film with only a __proto__ key → 400", 400, create('{"__proto__": {"title": "x", "type": "MOVIE"}}'));
  add("upload: create film as text/plain → 415", 415, create(filmWith({ title: "must not exist" }), { "content-type": "text/plain" }));
  add("upload: create film with no content type → 415", 415, create(filmWith({ title: "must not exist" }), {}));
  add("upload: create film as a form → 415", 415, create("title=must+not+exist&type=MOVIE", { "content-type": "application/x-www-form-urlencoded" }));
  add("upload: create film as multipart → 415", 415, create(rawForm([{ name: "title", body: "must not exist" }]), { "content-type": FORM_TYPE }));
  // Inside workerd a test's request carries no Content-Length unless it is set, as an HTTP client would.
  const big = filmWith({ introduction: "i".repeat(300_000) });
  add("upload: create film with a 300 KB body → 413", 413, create(big, { ...json, "content-length": String(enc.encode(big).length) }));
  add("upload: create film with 1 MiB of broken JSON streamed (no Content-Length) → 4xx", "4xx", create(streamOf(1024 * 1024)));

  // Film id routes.
  for (const [label, v] of BAD_IDS) {
    add(`upload: delete film ${label} → 400`, 400, (fx) => ({ method: "DELETE", path: `${U}/media/${v}`, headers: bearer(fx) }));
    add(`upload: reindex film ${label} → 400`, 400, (fx) => ({ method: "POST", path: `${U}/media/search_engine/${v}`, headers: bearer(fx) }));
    add(`upload: poster of film ${label} → 400`, 400, (fx) => ({
      method: "POST",
      path: `${U}/media/image/${v}`,
      headers: { ...bearer(fx), "content-type": FORM_TYPE },
      body: rawForm([filePart(PNG())]),
    }));
  }
  add("upload: delete an unknown film → 404", 404, (fx) => ({ method: "DELETE", path: `${U}/media/${fx.unknownId}`, headers: bearer(fx) }));
  add("upload: reindex an unknown film → 404", 404, (fx) => ({ method: "POST", path: `${U}/media/search_engine/${fx.unknownId}`, headers: bearer(fx) }));
  add("upload: poster of an unknown film → 404", 404, (fx) => ({
    method: "POST",
    path: `${U}/media/image/${fx.unknownId}`,
    headers: { ...bearer(fx), "content-type": FORM_TYPE },
    body: rawForm([filePart(PNG())]),
  }));

  // Multipart bodies, broken every way, on the poster, episode and ad routes.
  const targets: Array<{ what: string; path: (fx: HostileFixtures) => string; good: () => Uint8Array; wrong: () => Uint8Array; wrongKind: string }> = [
    { what: "poster", path: (fx) => `${U}/media/image/${fx.filmId}`, good: () => PNG(), wrong: () => MP4(), wrongKind: "a video" },
    { what: "episode", path: (fx) => `${U}/media/resource/line1/${fx.filmId}/7`, good: () => MP4(), wrong: () => PNG(), wrongKind: "an image" },
  ];
  for (const t of targets) {
    const post = (body: HostileRequest["body"], contentType = FORM_TYPE) => (fx: HostileFixtures) => ({
      method: "POST",
      path: t.path(fx),
      headers: { ...bearer(fx), ...(contentType ? { "content-type": contentType } : {}) },
      body,
    });
    add(`upload: ${t.what} with ${t.wrongKind} → 415`, 415, post(rawForm([filePart(t.wrong())])));
    add(`upload: ${t.what} with a text file → 415`, 415, post(rawForm([filePart(TEXT())])));
    add(`upload: ${t.what} with an empty file → 415`, 415, post(rawForm([filePart(new Uint8Array(0))])));
    add(`upload: ${t.what} as JSON → 415`, 415, post('{"file": "x"}', "application/json"));
    add(`upload: ${t.what} as text/plain → 415`, 415, post(t.good(), "text/plain"));
    add(`upload: ${t.what} without a content type → 415`, 415, post(rawForm([filePart(t.good())]), ""));
    add(`upload: ${t.what} as multipart without a boundary → 415`, 415, post(rawForm([filePart(t.good())]), "multipart/form-data"));
    add(`upload: ${t.what} with a 71-character boundary → 415`, 415, post(rawForm([filePart(t.good())]), `multipart/form-data; boundary=${"b".repeat(71)}`));
    add(`upload: ${t.what} whose body uses another boundary → 400`, 400, post(rawForm([filePart(t.good())], { boundary: "other-boundary" })));
    add(`upload: ${t.what} with an empty body → 400`, 400, post(""));
    add(`upload: ${t.what} cut off inside the file → 400`, 400, post(rawForm([filePart(t.good())], { close: false }).subarray(0, 600)));
    add(`upload: ${t.what} without the closing boundary → 400`, 400, post(rawForm([filePart(t.good())], { close: false })));
    add(`upload: ${t.what} with a part lacking Content-Disposition → 400`, 400, post(rawForm([{ name: "file", headers: "Content-Type: image/png\r\n", body: t.good() }])));
    add(`upload: ${t.what} with 17 KiB of part headers → 400`, 400, post(rawForm([{ name: "file", headers: `X-Junk: ${"j".repeat(17 * 1024)}\r\n`, body: t.good() }])));
    add(`upload: ${t.what} with 70 KiB of preamble and no boundary → 400`, 400, post("p".repeat(70 * 1024)));
    add(`upload: ${t.what} without a file field → 400`, 400, post(rawForm([{ name: "other", body: "x" }])));
    add(`upload: ${t.what} with the file field twice → 400`, 400, post(rawForm([filePart(t.good()), filePart(t.good())])));
    add(`upload: ${t.what} with a 5 KiB text field → 400`, 400, post(rawForm([{ name: "note", body: "n".repeat(5000) }, filePart(t.good())])));
    add(`upload: ${t.what} with 40 text fields → 400`, 400, post(rawForm([...Array.from({ length: 40 }, (_, i) => ({ name: `f${i}`, body: "x" })), filePart(t.good())])));
    add(`upload: ${t.what} with a declared length of 1 TB → 413`, 413, (fx) => ({ ...post(rawForm([filePart(t.good())]))(fx), headers: { ...bearer(fx), "content-type": FORM_TYPE, "content-length": String(1e12) } }));
  }
  add("upload: poster of 10 MiB + 100 KiB streamed (no Content-Length) → 413", 413, (fx) => ({
    method: "POST",
    path: `${U}/media/image/${fx.filmId}`,
    headers: { ...bearer(fx), "content-type": FORM_TYPE },
    body: streamedForm(PNG(16), 10 * 1024 * 1024 + 100 * 1024),
  }));
  add("upload: episode whose body breaks off after 9 MiB (the client vanished) → 400", 400, (fx) => ({
    method: "POST",
    path: `${U}/media/resource/line1/${fx.filmId}/7`,
    headers: { ...bearer(fx), "content-type": FORM_TYPE },
    body: brokenForm(MP4(16), 9 * 1024 * 1024),
  }));
  add("upload: poster whose body breaks off after 1 KiB → 400", 400, (fx) => ({
    method: "POST",
    path: `${U}/media/image/${fx.filmId}`,
    headers: { ...bearer(fx), "content-type": FORM_TYPE },
    body: brokenForm(PNG(16), 1024),
  }));
  add("upload: episode of 2 MiB streamed over a 1 MiB MAX_UPLOAD_BYTES → 413", 413, (fx) => ({
    method: "POST",
    path: `${U}/media/resource/line1/${fx.filmId}/7`,
    headers: { ...bearer(fx), "content-type": FORM_TYPE },
    body: streamedForm(MP4(16), 2 * 1024 * 1024),
    vars: { MAX_UPLOAD_BYTES: String(1024 * 1024) },
  }));

  // Episode routes: bad path parts, unknown film, bad state.
  const episodeUpload = (route: string, id: string, episode: string, query = "") => (fx: HostileFixtures) => ({
    method: "POST",
    path: `${U}/media/resource/${route}/${id === "{film}" ? fx.filmId : id}/${episode}${query}`,
    headers: { ...bearer(fx), "content-type": FORM_TYPE },
    body: rawForm([filePart(MP4())]),
  });
  for (const [label, v] of BAD_IDS.slice(0, 6)) add(`upload: episode source for film ${label} → 400`, 400, episodeUpload("line1", v, "1"));
  for (const [label, v] of [
    ["a route with a tab", "line%091"],
    ["a route of encoded dot-dot", "%2e%2e"],
    ["a route of 64 characters", "r".repeat(64)],
  ] as const) {
    add(`upload: episode source with ${label} → 400`, 400, episodeUpload(v, "{film}", "1"));
  }
  for (const [label, v] of [
    ["an episode with a leading space", "%201"],
    ["an episode of 65 characters", "e".repeat(65)],
    ["an episode with an encoded slash", "1%2F2"],
  ] as const) {
    add(`upload: episode source with ${label} → 400`, 400, episodeUpload("line1", "{film}", v));
  }
  add("upload: episode source with a state of 201 characters → 400", 400, episodeUpload("line1", "{film}", "1", `?state=${"s".repeat(201)}`));
  add("upload: episode source for an unknown film → 404", 404, (fx) => episodeUpload("line1", fx.unknownId, "1")(fx));
  const deleteEpisode = (path: (fx: HostileFixtures) => string) => (fx: HostileFixtures) => ({ method: "DELETE", path: path(fx), headers: bearer(fx) });
  add("upload: delete an episode of a malformed film id → 400", 400, deleteEpisode(() => `${U}/media/resource/line1/not-a-uuid/1`));
  add("upload: delete an episode with route of encoded dot-dot → 400", 400, deleteEpisode((fx) => `${U}/media/resource/%2e%2e/${fx.filmId}/1`));
  add("upload: delete an episode with a state of 201 characters → 400", 400, deleteEpisode((fx) => `${U}/media/resource/line1/${fx.ready.filmId}/1?state=${"s".repeat(201)}`));
  add("upload: delete an unknown episode → 404", 404, deleteEpisode((fx) => `${U}/media/resource/line9/${fx.filmId}/1`));
  add("upload: delete an episode of an unknown film → 404", 404, deleteEpisode((fx) => `${U}/media/resource/line1/${fx.unknownId}/1`));

  // Ads.
  const future = "2099-01-01T00:00:00Z";
  const ad = (parts: RawPart[], contentType = FORM_TYPE) => (fx: HostileFixtures) => ({
    method: "POST",
    path: `${U}/ad`,
    headers: { ...bearer(fx), "content-type": contentType },
    body: rawForm(parts),
  });
  const field = (name: string, body: string): RawPart => ({ name, body });
  for (const [label, parts, status] of [
    ["an unknown advertisement_type", [field("advertisement_type", "POPUP"), field("expired_time", future), filePart(PNG())], 400],
    ["advertisement_type in lower case", [field("advertisement_type", "web"), field("expired_time", future), filePart(PNG())], 400],
    ["an expired_time in the past", [field("advertisement_type", "WEB"), field("expired_time", "2001-01-01T00:00:00Z"), filePart(PNG())], 400],
    ["an expired_time that is not RFC 3339", [field("advertisement_type", "WEB"), field("expired_time", "next tuesday"), filePart(PNG())], 400],
    ["an expired_time without a zone", [field("advertisement_type", "WEB"), field("expired_time", "2099-01-01T00:00:00"), filePart(PNG())], 400],
    ["an expired_time of year 275761", [field("advertisement_type", "WEB"), field("expired_time", "+275761-01-01T00:00:00Z"), filePart(PNG())], 400],
    ["no advertisement_type", [field("expired_time", future), filePart(PNG())], 400],
    ["no expired_time", [field("advertisement_type", "WEB"), filePart(PNG())], 400],
    ["a FILM ad that is an image", [field("advertisement_type", "FILM"), field("expired_time", future), filePart(PNG())], 415],
    ["a WEB ad that is a video", [field("advertisement_type", "WEB"), field("expired_time", future), filePart(MP4())], 415],
    ["a WEB_BAR ad that is text", [field("advertisement_type", "WEB_BAR"), field("expired_time", future), filePart(TEXT())], 415],
    ["the fields after the file, advertisement_type unknown", [filePart(PNG()), field("advertisement_type", "POPUP"), field("expired_time", future)], 400],
    ["the fields after the file, FILM type for an image", [filePart(PNG()), field("advertisement_type", "FILM"), field("expired_time", future)], 415],
    ["the fields after the file, expired", [filePart(MP4()), field("advertisement_type", "FILM"), field("expired_time", "2001-01-01T00:00:00Z")], 400],
    ["no file", [field("advertisement_type", "WEB"), field("expired_time", future)], 400],
  ] as const) {
    add(`upload: ad with ${label} → ${status}`, status, ad([...parts]));
  }
  add("upload: ad as JSON → 415", 415, (fx) => ({ method: "POST", path: `${U}/ad`, headers: { ...bearer(fx), ...json }, body: '{"advertisement_type":"WEB"}' }));
}

function authCases() {
  const routes: Array<{ label: string; req: (fx: HostileFixtures) => HostileRequest }> = [
    { label: "create film", req: () => ({ method: "POST", path: "/api/v1/upload/media/", headers: json, body: filmWith({ title: "must not exist" }) }) },
    { label: "delete film", req: (fx) => ({ method: "DELETE", path: `/api/v1/upload/media/${fx.filmId}` }) },
    { label: "reindex film", req: (fx) => ({ method: "POST", path: `/api/v1/upload/media/search_engine/${fx.filmId}` }) },
    { label: "poster", req: (fx) => ({ method: "POST", path: `/api/v1/upload/media/image/${fx.filmId}`, headers: { "content-type": FORM_TYPE }, body: rawForm([filePart(PNG())]) }) },
    {
      label: "episode source",
      req: (fx) => ({ method: "POST", path: `/api/v1/upload/media/resource/line1/${fx.filmId}/1`, headers: { "content-type": FORM_TYPE }, body: rawForm([filePart(MP4())]) }),
    },
    { label: "delete episode", req: (fx) => ({ method: "DELETE", path: `/api/v1/upload/media/resource/${fx.ready.route}/${fx.ready.filmId}/${fx.ready.episode}` }) },
    {
      label: "ad",
      req: () => ({
        method: "POST",
        path: "/api/v1/upload/ad",
        headers: { "content-type": FORM_TYPE },
        body: rawForm([{ name: "advertisement_type", body: "WEB" }, { name: "expired_time", body: "2099-01-01T00:00:00Z" }, filePart(PNG())]),
      }),
    },
    {
      label: "start a signed upload",
      req: (fx) => ({ method: "POST", path: "/api/v1/admin/uploads", headers: json, body: JSON.stringify({ target: { kind: "episode", filmId: fx.filmId, route: "line1", episode: "1" }, size: 100, contentType: "video/mp4" }) }),
    },
    { label: "upload status", req: (fx) => get(`/api/v1/admin/uploads/${fx.upload.id}`) },
    { label: "complete an upload", req: (fx) => ({ method: "POST", path: `/api/v1/admin/uploads/${fx.upload.id}/complete` }) },
    { label: "abort an upload", req: (fx) => ({ method: "POST", path: `/api/v1/admin/uploads/${fx.upload.id}/abort` }) },
    { label: "a job", req: (fx) => get(`/api/v1/admin/jobs/${fx.processing.jobId}`) },
    { label: "the job list", req: () => get("/api/v1/admin/jobs") },
    { label: "an ad report", req: (fx) => get(`/api/v1/admin/ads/${fx.filmAdId}`) },
  ];
  const badAuth: Labeled[] = [
    ["no bearer", ""],
    ["a wrong bearer", "Bearer not-the-token"],
    ["Basic auth with the token", "Basic dGVzdC1hZG1pbi10b2tlbg=="],
    ["an empty bearer", "Bearer "],
    ["a 16 KiB bearer", `Bearer ${"t".repeat(16 * 1024)}`],
    ["a bearer of Latin-1 bytes", "Bearer \u00ff\u00fe"],
    ["two bearers", "Bearer a, Bearer b"],
  ];
  for (const r of routes) {
    for (const [label, value] of badAuth) {
      // Every route with every bad header would be ~100 near-identical cases: each route gets two, each header several routes.
      const i = routes.indexOf(r);
      const j = badAuth.findIndex(([l]) => l === label);
      if (j !== 0 && (i + j) % 3 !== 0) continue;
      add(`auth: ${r.label} with ${label} → 401`, 401, (fx) => {
        const req = r.req(fx);
        const headers = { ...req.headers };
        if (value) headers.authorization = value;
        return { ...req, headers };
      });
    }
  }
}

function adminCases() {
  const AD = "/api/v1/admin";
  const start = (body: string, headers: Record<string, string> = json) => (fx: HostileFixtures) => ({ method: "POST", path: `${AD}/uploads`, headers: { ...bearer(fx), ...headers }, body });
  const episodeTarget = (fx: HostileFixtures, patch: Record<string, unknown> = {}) => ({ kind: "episode", filmId: fx.filmId, route: "line1", episode: "9", ...patch });
  const startWith = (make: (fx: HostileFixtures) => unknown) => (fx: HostileFixtures) => start(JSON.stringify(make(fx)))(fx);
  add("admin: start an upload with broken JSON → 400", 400, start('{"target": '));
  add("admin: start an upload with JSON null → 400", 400, start("null"));
  add("admin: start an upload as text/plain → 415", 415, start("{}", { "content-type": "text/plain" }));
  add("admin: start an upload without a target → 400", 400, startWith(() => ({ size: 100, contentType: "video/mp4" })));
  for (const [label, patch] of [
    ["an unknown target kind", { kind: "film" }],
    ["a malformed film id", { filmId: "../x" }],
    ["a route of encoded dot-dot", { route: "%2e%2e" }],
    ["an episode with dot-dot", { episode: ".." }],
    ["a state of 201 characters", { state: "s".repeat(201) }],
  ] as const) {
    add(`admin: start an upload with ${label} → 400`, 400, startWith((fx) => ({ target: episodeTarget(fx, patch), size: 100, contentType: "video/mp4" })));
  }
  add("admin: start an upload for an unknown film → 404", 404, startWith((fx) => ({ target: episodeTarget(fx, { filmId: fx.unknownId }), size: 100, contentType: "video/mp4" })));
  for (const [label, size] of [
    ["size 0", 0],
    ["size -1", -1],
    ["a fractional size", 1.5],
    ["size 1e308", 1e308],
    ["size as a string", "100"],
    ["a size needing more than 10,000 parts of the default 16 MiB", 10_001 * 16 * 1024 * 1024],
    ["a size of 1 PB", 1e15],
  ] as const) {
    add(`admin: start an upload with ${label} → 400`, 400, startWith((fx) => ({ target: episodeTarget(fx), size, contentType: "video/mp4" })));
  }
  for (const [label, partSize] of [
    ["a part size of 1 byte", 1],
    ["a part size of 1 GiB", 1024 ** 3],
    ["a part size as a string", "16777216"],
  ] as const) {
    add(`admin: start an upload with ${label} → 400`, 400, startWith((fx) => ({ target: episodeTarget(fx), size: 100, contentType: "video/mp4", partSize })));
  }
  for (const [label, contentType] of [
    ["a content type that is not a MIME type", "not a mime"],
    ["a content type with a CRLF", "video/mp4\r\nX-Evil: 1"],
    ["a content type of 101 characters", `video/${"x".repeat(95)}`],
  ] as const) {
    add(`admin: start an upload with ${label} → 400`, 400, startWith((fx) => ({ target: episodeTarget(fx), size: 100, contentType })));
  }
  for (const [label, target] of [
    ["an ad target of type WEB", { kind: "ad", adType: "WEB", expiresAt: "2099-01-01T00:00:00Z" }],
    ["an ad target that expired", { kind: "ad", adType: "FILM", expiresAt: "2001-01-01T00:00:00Z" }],
    ["an ad target with a garbage expiry", { kind: "ad", adType: "FILM", expiresAt: "soon" }],
  ] as const) {
    add(`admin: start an upload with ${label} → 400`, 400, startWith(() => ({ target, size: 100, contentType: "video/mp4" })));
  }

  // Parts: the token in the URL is the credential.
  const part = (fx: HostileFixtures, n: string | number, token: string | undefined, init: { body?: HostileRequest["body"]; headers?: Record<string, string> } = {}, uploadId = fx.upload.id): HostileRequest => ({
    method: "PUT",
    path: `${AD}/uploads/${uploadId}/parts/${n}${token === undefined ? "" : `?token=${token}`}`,
    headers: init.headers,
    body: init.body ?? "x",
  });
  const partGrant = (fx: HostileFixtures, n: number, patch: Partial<Grant> = {}, uploadId = fx.upload.id) =>
    grant(fx, { u: "upload-part", m: "PUT", k: `uploads/${uploadId}/parts/${n}`, e: inAnHour(), s: fx.upload.partSize, ...patch } as Grant);
  add("admin: a part without a token → 403", 403, (fx) => part(fx, 1, undefined));
  add("admin: a part with a garbage token → 403", 403, (fx) => part(fx, 1, "garbage"));
  add("admin: a part with a token of 5000 characters → 403", 403, (fx) => part(fx, 1, "t".repeat(5000)));
  add("admin: a part with a forged token → 403", 403, async (fx) => part(fx, 1, forge(await partGrant(fx, 1))));
  add("admin: a part with a token signed by another secret → 403", 403, async (fx) => part(fx, 1, await grant(fx, { u: "upload-part", m: "PUT", k: `uploads/${fx.upload.id}/parts/1`, e: inAnHour() }, "other-secret")));
  add("admin: a part with an expired token → 403", 403, async (fx) => part(fx, 1, await partGrant(fx, 1, { e: nowSeconds() - 60 })));
  add("admin: a part with another part's token → 403", 403, async (fx) => part(fx, 1, await partGrant(fx, 2)));
  add("admin: a part with a GET token → 403", 403, async (fx) => part(fx, 1, await partGrant(fx, 1, { m: "GET" })));
  add("admin: a part with the bearer instead of a token → 403", 403, (fx) => ({ ...part(fx, 1, undefined), headers: bearer(fx) }));
  add("admin: a part with a valid token but no Content-Length → 411", 411, async (fx) => part(fx, 1, await partGrant(fx, 1), { body: streamOf(100) }));
  add("admin: a part with a valid token but the wrong length → 400", 400, async (fx) => part(fx, 1, await partGrant(fx, 1), { body: "too short", headers: { "content-length": "9" } }));
  add("admin: a part with a valid token and a Content-Length over the part size → 413", 413, async (fx) =>
    part(fx, 1, await partGrant(fx, 1), { body: "x", headers: { "content-length": String(fx.upload.partSize + 1) } }),
  );
  add("admin: a part with a valid token and a Content-Length that is not a number → 400", 400, async (fx) =>
    part(fx, 1, await partGrant(fx, 1), { body: "x", headers: { "content-length": "abc" } }),
  );
  add("admin: a part past the last one, with a valid token → 400", 400, async (fx) => part(fx, 3, await partGrant(fx, 3)));
  add("admin: a part of an unknown upload, with a valid token → 403 (a part grant lives only while its upload is open)", 403, async (fx) => part(fx, 1, await partGrant(fx, 1, {}, fx.unknownId), {}, fx.unknownId));
  for (const [label, n] of [
    ["part 0", "0"],
    ["part -1", "-1"],
    ["part 10001", "10001"],
    ["part 1e400", "1e400"],
    ["part abc", "abc"],
    ["part 1.5", "1.5"],
  ] as const) {
    add(`admin: ${label} → 400`, 400, (fx) => part(fx, n, "x"));
  }
  add("admin: a part of a malformed upload id → 400", 400, () => ({ method: "PUT", path: `${AD}/uploads/not-a-uuid/parts/1?token=x`, body: "x" }));

  for (const [label, v] of BAD_IDS.slice(0, 8)) {
    add(`admin: upload status of ${label} → 400`, 400, (fx) => ({ ...get(`${AD}/uploads/${v}`), headers: bearer(fx) }));
    add(`admin: complete upload ${label} → 400`, 400, (fx) => ({ method: "POST", path: `${AD}/uploads/${v}/complete`, headers: bearer(fx) }));
    add(`admin: abort upload ${label} → 400`, 400, (fx) => ({ method: "POST", path: `${AD}/uploads/${v}/abort`, headers: bearer(fx) }));
    add(`admin: job ${label} → 400`, 400, (fx) => ({ ...get(`${AD}/jobs/${v}`), headers: bearer(fx) }));
    add(`admin: ad report of ${label} → 400`, 400, (fx) => ({ ...get(`${AD}/ads/${v}`), headers: bearer(fx) }));
  }
  add("admin: status of an unknown upload → 404", 404, (fx) => ({ ...get(`${AD}/uploads/${fx.unknownId}`), headers: bearer(fx) }));
  add("admin: complete an unknown upload → 404", 404, (fx) => ({ method: "POST", path: `${AD}/uploads/${fx.unknownId}/complete`, headers: bearer(fx) }));
  add("admin: abort an unknown upload → 404", 404, (fx) => ({ method: "POST", path: `${AD}/uploads/${fx.unknownId}/abort`, headers: bearer(fx) }));
  add("admin: complete an upload with no parts received → 409", 409, (fx) => ({ method: "POST", path: `${AD}/uploads/${fx.upload.id}/complete`, headers: bearer(fx) }));
  add("admin: an unknown job → 404", 404, (fx) => ({ ...get(`${AD}/jobs/${fx.unknownId}`), headers: bearer(fx) }));
  add("admin: the report of an unknown ad → 404", 404, (fx) => ({ ...get(`${AD}/ads/${fx.unknownId}`), headers: bearer(fx) }));
  for (const [label, v] of BAD_ENUMS) add(`admin: jobs with status=${label} → 400`, 400, (fx) => ({ ...get(`${AD}/jobs?status=${v}`), headers: bearer(fx) }));
  for (const [label, v] of BAD_NUMBERS) {
    if (label === "empty") continue;
    add(`admin: jobs with offset=${label} → 400`, 400, (fx) => ({ ...get(`${AD}/jobs?offset=${v}`), headers: bearer(fx) }));
    add(`admin: jobs with limit=${label} → 400`, 400, (fx) => ({ ...get(`${AD}/jobs?limit=${v}`), headers: bearer(fx) }));
  }
  add("admin: jobs with limit=0 → 400", 400, (fx) => ({ ...get(`${AD}/jobs?limit=0`), headers: bearer(fx) }));
  add("admin: jobs with limit=101 → 400", 400, (fx) => ({ ...get(`${AD}/jobs?limit=101`), headers: bearer(fx) }));
}

function internalCases() {
  const OBJ = "/api/v1/internal/objects";
  const jobPath = (fx: HostileFixtures, what: string) => `/api/v1/internal/jobs/${fx.processing.jobId}/${what}`;
  const getObject = (key: string, token?: string, headers?: Record<string, string>): HostileRequest => get(`${OBJ}/${key}${token === undefined ? "" : `?token=${token}`}`, headers);
  const putObject = (key: string, token: string | undefined, body: HostileRequest["body"] = "x", headers?: Record<string, string>): HostileRequest => ({
    method: "PUT",
    path: `${OBJ}/${key}${token === undefined ? "" : `?token=${token}`}`,
    headers,
    body,
  });
  const sourceGrant = (fx: HostileFixtures, patch: Partial<Grant> = {}) => grant(fx, { u: "job-source", m: "GET", k: fx.processing.sourceKey, e: inAnHour(), j: fx.processing.jobId, ...patch } as Grant);
  const outputGrant = (fx: HostileFixtures, patch: Partial<Grant> = {}) => grant(fx, { u: "job-output", m: "PUT", p: fx.processing.outputPrefix, e: inAnHour(), s: 1000, j: fx.processing.jobId, ...patch } as Grant);

  add("internal: read a source without a token → 403", 403, (fx) => getObject(fx.processing.sourceKey));
  add("internal: read a source with a garbage token → 403", 403, (fx) => getObject(fx.processing.sourceKey, "garbage"));
  add("internal: read a source with a token of invalid base64 length → 403", 403, (fx) => getObject(fx.processing.sourceKey, "abcde.abcde"));
  add("internal: read a source with a forged token → 403", 403, async (fx) => getObject(fx.processing.sourceKey, forge(await sourceGrant(fx))));
  add("internal: read a source with an expired token → 403", 403, async (fx) => getObject(fx.processing.sourceKey, await sourceGrant(fx, { e: nowSeconds() - 1 })));
  add("internal: read a source with a PUT token → 403", 403, async (fx) => getObject(fx.processing.sourceKey, await sourceGrant(fx, { m: "PUT" })));
  add("internal: read a source with another key's token → 403", 403, async (fx) => getObject(fx.processing.sourceKey, await sourceGrant(fx, { k: `${fx.processing.sourceKey}x` })));
  add("internal: read a source with a token of another prefix → 403", 403, async (fx) =>
    getObject(fx.processing.sourceKey, await sourceGrant(fx, { k: undefined, p: `films/${fx.unknownId}/` })),
  );
  add("internal: read with the admin bearer instead of a token → 403", 403, (fx) => getObject(fx.processing.sourceKey, undefined, bearer(fx)));
  for (const [label, key] of TRAVERSAL_KEYS) {
    add(`internal: read a key with ${label} under a valid prefix token → 400`, 400, async (fx) =>
      getObject(`${fx.ready.prefix}${key}`, await sourceGrant(fx, { k: undefined, p: fx.ready.prefix })),
    );
    add(`internal: write a key with ${label} under a valid prefix token → 400`, 400, async (fx) => putObject(`${fx.processing.outputPrefix}${key}`, await outputGrant(fx)));
  }
  add("internal: read with a plain ../ out of the granted prefix → 4xx", "4xx", async (fx) =>
    getObject(`${fx.ready.prefix}../../../../../../ads/x/image.png`, await sourceGrant(fx, { k: undefined, p: fx.ready.prefix })),
  );
  add("internal: write with a plain ../ out of the granted prefix → 4xx", "4xx", async (fx) => putObject(`${fx.processing.outputPrefix}../../source/x`, await outputGrant(fx)));
  add("internal: read a key of a live job's prefix that is not its source → 403", 403, async (fx) =>
    getObject(`${fx.ready.prefix}nothing.ts`, await sourceGrant(fx, { k: undefined, p: fx.ready.prefix })),
  );
  add("internal: read a source with an unsatisfiable range → 416", 416, async (fx) => getObject(fx.processing.sourceKey, await sourceGrant(fx), { range: "bytes=99999999-" }));
  add("internal: read a source with a garbage range → below 500", "below 500", async (fx) => getObject(fx.processing.sourceKey, await sourceGrant(fx), { range: "bytes=-x" }));
  add("internal: write without a token → 403", 403, (fx) => putObject(`${fx.processing.outputPrefix}master.m3u8`, undefined));
  add("internal: write with an expired token → 403", 403, async (fx) => putObject(`${fx.processing.outputPrefix}master.m3u8`, await outputGrant(fx, { e: nowSeconds() - 1 })));
  add("internal: write with a GET token → 403", 403, async (fx) => putObject(`${fx.processing.outputPrefix}master.m3u8`, await outputGrant(fx, { m: "GET" })));
  add("internal: write outside the token's prefix → 403", 403, async (fx) => putObject(`${fx.ready.prefix}master.m3u8`, await outputGrant(fx)));
  add("internal: write the source key with an output token → 403", 403, async (fx) => putObject(fx.processing.sourceKey, await outputGrant(fx)));
  add("internal: write with a forged token → 403", 403, async (fx) => putObject(`${fx.processing.outputPrefix}master.m3u8`, forge(await outputGrant(fx))));
  add("internal: write more than the token allows → 413", 413, async (fx) =>
    putObject(`${fx.processing.outputPrefix}master.m3u8`, await outputGrant(fx, { s: 4 }), "0123456789", { "content-length": "10" }),
  );
  add("internal: write with a Content-Length that is not a number → 411", 411, async (fx) =>
    putObject(`${fx.processing.outputPrefix}master.m3u8`, await outputGrant(fx), "x", { "content-length": "1e3" }),
  );
  add("internal: write without a Content-Length → 411", 411, async (fx) => putObject(`${fx.processing.outputPrefix}master.m3u8`, await outputGrant(fx), streamOf(100)));
  add("internal: DELETE an object → 404", 404, async (fx) => ({ method: "DELETE", path: `${OBJ}/${fx.processing.sourceKey}?token=${await sourceGrant(fx)}` }));

  // Callbacks: signature first, then the body.
  const progress = JSON.stringify({ progress: 0.5, attempt: 1 });
  for (const what of ["progress", "complete", "fail", "urls"] as const) {
    add(`internal: ${what} callback without a signature → 401`, 401, (fx) => ({ method: "POST", path: jobPath(fx, what), headers: json, body: progress }));
    add(`internal: ${what} callback with a wrong signature → 403`, 403, async (fx) => {
      const r = await signedPost(fx, jobPath(fx, what), progress);
      return { ...r, headers: { ...r.headers, "x-signature": "0".repeat(64) } };
    });
  }
  add("internal: progress with only a timestamp → 401", 401, (fx) => ({ method: "POST", path: jobPath(fx, "progress"), headers: { ...json, "x-signature-timestamp": String(Date.now()) }, body: progress }));
  add("internal: progress signed by another secret → 403", 403, (fx) => signedPost(fx, jobPath(fx, "progress"), progress, { secret: "other-secret" }));
  add("internal: progress signed 10 minutes ago → 403", 403, (fx) => signedPost(fx, jobPath(fx, "progress"), progress, { now: Date.now() - 10 * 60_000 }));
  add("internal: progress signed 10 minutes ahead → 403", 403, (fx) => signedPost(fx, jobPath(fx, "progress"), progress, { now: Date.now() + 10 * 60_000 }));
  add("internal: progress with a non-numeric timestamp → 403", 403, async (fx) => {
    const r = await signedPost(fx, jobPath(fx, "progress"), progress);
    return { ...r, headers: { ...r.headers, "x-signature-timestamp": "yesterday" } };
  });
  add("internal: progress signed for another job's path → 403", 403, (fx) => signedPost(fx, jobPath(fx, "progress"), progress, { signedPath: `/api/v1/internal/jobs/${fx.unknownId}/progress` }));
  add("internal: progress signed for the complete path → 403", 403, (fx) => signedPost(fx, jobPath(fx, "progress"), progress, { signedPath: jobPath(fx, "complete") }));
  add("internal: progress whose body differs from the signed one → 403", 403, (fx) => signedPost(fx, jobPath(fx, "progress"), progress, { signedBody: JSON.stringify({ progress: 0.1 }) }));
  add("internal: progress with a signature of 10 KiB → 403", 403, async (fx) => {
    const r = await signedPost(fx, jobPath(fx, "progress"), progress);
    return { ...r, headers: { ...r.headers, "x-signature": "a".repeat(10 * 1024) } };
  });
  // Correctly signed, but the body is wrong: validation still answers 4xx and writes nothing.
  for (const [label, body] of [
    ["broken JSON", '{"progress": '],
    ["JSON null", "null"],
    ["progress 1.5", JSON.stringify({ progress: 1.5 })],
    ["progress -0.1", JSON.stringify({ progress: -0.1 })],
    ["progress as a string", JSON.stringify({ progress: "0.5" })],
    ["attempt 0", JSON.stringify({ progress: 0.5, attempt: 0 })],
    ["attempt 1e308", JSON.stringify({ progress: 0.5, attempt: 1e308 })],
    ["no progress", "{}"],
  ] as const) {
    add(`internal: signed progress with ${label} → 400`, 400, (fx) => signedPost(fx, jobPath(fx, "progress"), body));
  }
  add("internal: signed progress as text/plain → 415", 415, async (fx) => {
    const r = await signedPost(fx, jobPath(fx, "progress"), progress);
    return { ...r, headers: { ...r.headers, "content-type": "text/plain" } };
  });
  const rendition = { name: "720p", bandwidth: 1000, width: 1280, height: 720, codecs: "avc1.42c01e", playlist: "720p/index.m3u8" };
  const complete = (fx: HostileFixtures, patch: Record<string, unknown> = {}) =>
    JSON.stringify({ outputPrefix: fx.processing.outputPrefix, master: "master.m3u8", duration: 4, segmentCount: 1, renditions: [rendition], ...patch });
  for (const [label, patch] of [
    ["another job's prefix", { outputPrefix: "films/x/episodes/line1/1/hls/other/" }],
    ["a master that leaves the prefix", { master: "../../../../../../ads/x/master.m3u8" }],
    ["a poster that leaves the prefix", { poster: "../poster.jpg" }],
    ["a rendition playlist that leaves the prefix", { renditions: [{ ...rendition, playlist: "../../x.m3u8" }] }],
    ["a master that was never uploaded", {}],
    ["no renditions", { renditions: [] }],
    ["a negative duration", { duration: -4 }],
    ["a rendition of bandwidth 0", { renditions: [{ ...rendition, bandwidth: 0 }] }],
    ["a rendition name of 33 characters", { renditions: [{ ...rendition, name: "r".repeat(33) }] }],
  ] as const) {
    add(`internal: signed complete with ${label} → 400`, 400, (fx) => signedPost(fx, jobPath(fx, "complete"), complete(fx, patch)));
  }
  for (const [label, body] of [
    ["an error of 4001 characters", JSON.stringify({ error: "e".repeat(4001), retryable: false })],
    ["retryable as a string", JSON.stringify({ error: "x", retryable: "false" })],
    ["an empty error", JSON.stringify({ error: "", retryable: false })],
  ] as const) {
    add(`internal: signed fail with ${label} → 400`, 400, (fx) => signedPost(fx, jobPath(fx, "fail"), body));
  }
  add("internal: signed progress of an unknown job → 404", 404, (fx) => signedPost(fx, `/api/v1/internal/jobs/${fx.unknownId}/progress`, progress));
  add("internal: signed fail of an unknown job → 404", 404, (fx) => signedPost(fx, `/api/v1/internal/jobs/${fx.unknownId}/fail`, JSON.stringify({ error: "x", retryable: false })));
  add("internal: signed URL refresh of an unknown job → 404", 404, (fx) => signedPost(fx, `/api/v1/internal/jobs/${fx.unknownId}/urls`, ""));
  for (const [label, v] of BAD_IDS.slice(0, 6)) {
    add(`internal: signed progress of job ${label} → 400`, 400, (fx) => signedPost(fx, `/api/v1/internal/jobs/${v}/progress`, progress, { signedPath: new URL(`https://x/api/v1/internal/jobs/${v}/progress`).pathname }));
  }
  add("internal: GET a callback route → 404", 404, (fx) => get(jobPath(fx, "complete")));
  add("internal: an unknown callback kind → 404", 404, (fx) => signedPost(fx, jobPath(fx, "explode"), progress));
}

// Issue 12: grants used for another purpose or outliving their job or upload, raw playlists, impression
// tokens, replayed and nonce-less requests that mint grants. Each must be refused and change nothing.
function issue12Cases() {
  const OBJ = "/api/v1/internal/objects";
  const M = "/api/v1/resource/media";
  const ON = { MEDIA_SIGNING: "on" };
  const ep = (fx: HostileFixtures) => `/api/v1/resource/media_list/${fx.ready.route}/${fx.ready.filmId}/${fx.ready.episode}`;
  const put = (path: string): HostileRequest => ({ method: "PUT", path, body: "x" });
  const viewer = (fx: HostileFixtures, patch: Partial<Grant> = {}) => grant(fx, { u: "viewer-media", m: "GET", p: fx.ready.prefix, e: inAnHour(), ...patch } as Grant);
  const output = (fx: HostileFixtures, patch: Partial<Grant> = {}) =>
    grant(fx, { u: "job-output", m: "PUT", p: fx.processing.outputPrefix, e: inAnHour(), s: 1000, j: fx.processing.jobId, ...patch } as Grant);
  const source = (fx: HostileFixtures, patch: Partial<Grant> = {}) => grant(fx, { u: "job-source", m: "GET", k: fx.processing.sourceKey, e: inAnHour(), j: fx.processing.jobId, ...patch } as Grant);
  const unsigned = async (fx: HostileFixtures, g: Record<string, unknown>) => {
    // A grant as minted before purposes existed: correctly signed, no `u`.
    const payload = base64url(enc.encode(JSON.stringify(g)));
    return `${payload}.${base64url(await hmac(fx.signingSecret, `grant.${payload}`))}`;
  };

  // Finding 1: a job's output grant after the job completed (the audit replaced a live, immutable segment).
  add("grants: overwrite a ready episode's segment with its finished job's output grant → 403", 403, async (fx) =>
    put(`${OBJ}/${fx.ready.segmentKey}?token=${await output(fx, { p: fx.ready.prefix, j: fx.ready.jobId })}`),
  );
  add("grants: add a stray object under a finished job's prefix → 403", 403, async (fx) => put(`${OBJ}/${fx.ready.prefix}stray.ts?token=${await output(fx, { p: fx.ready.prefix, j: fx.ready.jobId })}`));
  add("grants: read a finished job's source with its source grant → 403", 403, async (fx) =>
    get(`${OBJ}/${fx.ready.prefix}720p/seg_00000.ts?token=${await source(fx, { k: `${fx.ready.prefix}720p/seg_00000.ts`, j: fx.ready.jobId })}`),
  );
  add("grants: an output grant naming an unknown job → 403", 403, async (fx) => put(`${OBJ}/${fx.processing.outputPrefix}a.ts?token=${await output(fx, { j: fx.unknownId })}`));
  add("grants: an output grant naming no job → 403", 403, async (fx) => put(`${OBJ}/${fx.processing.outputPrefix}a.ts?token=${await output(fx, { j: undefined })}`));
  add("grants: a live job's id on another job's prefix → 403", 403, async (fx) => put(`${OBJ}/${fx.ready.prefix}a.ts?token=${await output(fx, { p: fx.ready.prefix })}`));
  add("grants: a live job's source grant for a key that is not its source → 403", 403, async (fx) =>
    get(`${OBJ}/${fx.ready.segmentKey}?token=${await source(fx, { k: fx.ready.segmentKey })}`),
  );
  // Purposes: every grant on a route made for another.
  add("grants: write a job's output with a viewer-media grant → 403", 403, async (fx) => put(`${OBJ}/${fx.processing.outputPrefix}a.ts?token=${await viewer(fx, { m: "PUT", p: fx.processing.outputPrefix })}`));
  add("grants: write a job's output with a part grant → 403", 403, async (fx) =>
    put(`${OBJ}/${fx.processing.outputPrefix}a.ts?token=${await grant(fx, { u: "upload-part", m: "PUT", p: fx.processing.outputPrefix, e: inAnHour(), s: 1000 })}`),
  );
  // Finding 3: a part token was also a PUT grant on the object route.
  add("grants: write a part's key through the object route with the part's grant → 403", 403, async (fx) =>
    put(`${OBJ}/uploads/${fx.upload.id}/parts/1?token=${await grant(fx, { u: "upload-part", m: "PUT", k: `uploads/${fx.upload.id}/parts/1`, e: inAnHour(), s: fx.upload.partSize })}`),
  );
  add("grants: read a source with a job-output grant → 403", 403, async (fx) => get(`${OBJ}/${fx.processing.sourceKey}?token=${await output(fx, { m: "GET", p: undefined, k: fx.processing.sourceKey })}`));
  add("grants: read a source with a viewer-media grant → 403", 403, async (fx) => get(`${OBJ}/${fx.processing.sourceKey}?token=${await viewer(fx, { p: undefined, k: fx.processing.sourceKey })}`));
  add("grants: write with a grant without a purpose → 403", 403, async (fx) =>
    put(`${OBJ}/${fx.processing.outputPrefix}a.ts?token=${await unsigned(fx, { m: "PUT", p: fx.processing.outputPrefix, e: inAnHour(), s: 1000 })}`),
  );
  add("grants: a part with a job-output grant → 403", 403, async (fx) =>
    put(`/api/v1/admin/uploads/${fx.upload.id}/parts/1?token=${await output(fx, { p: undefined, k: `uploads/${fx.upload.id}/parts/1` })}`),
  );
  add("grants: a part with a viewer-media grant → 403", 403, async (fx) =>
    put(`/api/v1/admin/uploads/${fx.upload.id}/parts/1?token=${await viewer(fx, { m: "PUT", p: `uploads/${fx.upload.id}/` })}`),
  );
  add("grants: a part with a grant without a purpose → 403", 403, async (fx) =>
    put(`/api/v1/admin/uploads/${fx.upload.id}/parts/1?token=${await unsigned(fx, { m: "PUT", k: `uploads/${fx.upload.id}/parts/1`, e: inAnHour(), s: fx.upload.partSize })}`),
  );
  for (const [label, token] of [
    ["a job-source grant", (fx: HostileFixtures) => source(fx, { k: undefined, p: fx.ready.prefix })],
    ["a job-output grant", (fx: HostileFixtures) => output(fx, { m: "GET", p: fx.ready.prefix })],
    ["a part grant", (fx: HostileFixtures) => grant(fx, { u: "upload-part", m: "GET", p: fx.ready.prefix, e: inAnHour() })],
    ["a grant without a purpose", (fx: HostileFixtures) => unsigned(fx, { m: "GET", p: fx.ready.prefix, e: inAnHour() })],
  ] as const) {
    add(`grants: a segment with MEDIA_SIGNING on and ${label} of its prefix → 403`, 403, async (fx) => ({ ...get(`${M}/${fx.ready.segmentKey}?token=${await token(fx)}`), vars: ON }));
  }

  // Finding 2: raw playlists skip the ads.
  for (const [label, vars] of [
    ["off", {}],
    ["on", ON],
  ] as const) {
    add(`playlists: the episode's master.m3u8 by the media route, MEDIA_SIGNING ${label}, with a viewer token → 403`, 403, async (fx) => ({
      ...get(`${M}/${fx.ready.prefix}master.m3u8?token=${await viewer(fx)}`),
      vars,
    }));
    add(`playlists: a rendition's index.m3u8 by the media route, MEDIA_SIGNING ${label} → 403`, 403, async (fx) => ({
      ...get(`${M}/${fx.ready.prefix}${fx.ready.rendition}/index.m3u8?token=${await viewer(fx)}`),
      vars,
    }));
    add(`playlists: a FILM ad's index.m3u8 by the media route, MEDIA_SIGNING ${label} → 403`, 403, (fx) => ({ ...get(`${M}/${fx.filmAdSegmentKey.replace(/seg_0+\.ts$/, "index.m3u8")}`), vars }));
    add(`playlists: the side route's master.m3u8, MEDIA_SIGNING ${label}, with a viewer token → 403`, 403, async (fx) => ({ ...get(`${ep(fx)}/master.m3u8?token=${await viewer(fx)}`), vars }));
  }
  add("playlists: an upper-case .M3U8 by the media route → 403", 403, (fx) => get(`${M}/${fx.ready.prefix}MASTER.M3U8`));
  add("playlists: a .m3u by the side route → 403", 403, (fx) => get(`${ep(fx)}/index.m3u`));
  add("playlists: the side route's master.m3u8 of an unknown episode → 403", 403, (fx) => get(`/api/v1/resource/media_list/line1/${fx.unknownId}/1/master.m3u8`));

  // Finding 4: impressions. The segment is served; nothing is counted (the table checks every row).
  const imp = (fx: HostileFixtures, secret = fx.signingSecret, adId = fx.filmAdId) =>
    signImpression(secret, { plan: "AAAAAAAAAAAAAAAA", brk: 0, exp: inAnHour() }, adId);
  add("impressions: an ad's first segment with a garbage imp → 200, counts nothing", 200, (fx) => get(`${M}/${fx.filmAdSegmentKey}?imp=garbage`));
  add("impressions: an ad's first segment with an imp signed by another secret → 200, counts nothing", 200, async (fx) => get(`${M}/${fx.filmAdSegmentKey}?imp=${await imp(fx, "other-secret")}`));
  add("impressions: an ad's first segment with another ad's imp → 200, counts nothing", 200, async (fx) => get(`${M}/${fx.filmAdSegmentKey}?imp=${await imp(fx, fx.signingSecret, fx.unknownId)}`));
  add("impressions: an expired imp → 200, counts nothing", 200, async (fx) =>
    get(`${M}/${fx.filmAdSegmentKey}?imp=${await signImpression(fx.signingSecret, { plan: "AAAAAAAAAAAAAAAA", brk: 0, exp: nowSeconds() - 1 }, fx.filmAdId)}`),
  );
  add("impressions: HEAD with a valid imp → 200, counts nothing", 200, async (fx) => ({ method: "HEAD", path: `${M}/${fx.filmAdSegmentKey}?imp=${await imp(fx)}` }));
  add("impressions: a range from byte 1 with a valid imp → 206, counts nothing", 206, async (fx) => get(`${M}/${fx.filmAdSegmentKey}?imp=${await imp(fx)}`, { range: "bytes=1-1" }));
  add("impressions: an imp of 10 KiB → 400", 400, (fx) => get(`${M}/${fx.filmAdSegmentKey}?imp=${"a".repeat(10 * 1024)}`));

  // Finding 6: a replayed /urls handed fresh grants to the replayer.
  add("replay: /urls signed again with the nonce of an answered request → 409", 409, (fx) => ({ method: "POST", path: fx.usedUrls.path, headers: fx.usedUrls.headers }));
  add("replay: /urls signed without a nonce → 403", 403, async (fx) => {
    const headers = await signRequest(fx.signingSecret, "POST", fx.usedUrls.path, "", Date.now(), null);
    return { method: "POST", path: fx.usedUrls.path, headers };
  });
}

// Captions (issue 16): the admin routes refuse bad tags, labels and files with a reason and store nothing;
// the subtitle playlist and caption segments refuse bad plans, windows and names.
function captionCases() {
  const caps = (fx: HostileFixtures, lang?: string, ep = fx.ready) => `/api/v1/admin/films/${ep.filmId}/episodes/${ep.route}/${ep.episode}/captions${lang === undefined ? "" : `/${lang}`}`;
  const putCaptions = (lang: string, body: HostileRequest["body"], opts: { query?: string; headers?: Record<string, string>; ep?: (fx: HostileFixtures) => HostileFixtures["ready"] } = {}) => (fx: HostileFixtures): HostileRequest => ({
    method: "PUT",
    path: `${caps(fx, lang, opts.ep?.(fx) ?? fx.ready)}${opts.query ?? ""}`,
    headers: { ...bearer(fx), "content-type": "text/plain", ...opts.headers },
    body,
  });
  const SRT = "1\n00:00:01,000 --> 00:00:02,000\nHello\n";
  for (const [label, lang] of [
    ["an underscore", "en_US"],
    ["36 characters", "a".repeat(36)],
    ["an encoded dot-dot", "%2e%2e"],
    ["a trailing hyphen", "en-"],
    ["a subtag of 9 letters", "en-abcdefghi"],
    ["a NUL byte", "en%00"],
    ["an emoji", "%F0%9F%8E%AC"],
  ] as const) {
    add(`captions: put with a language tag of ${label} → 400`, 400, putCaptions(lang, SRT));
    add(`captions: delete with a language tag of ${label} → 400`, 400, (fx) => ({ method: "DELETE", path: caps(fx, lang), headers: bearer(fx) }));
  }
  for (const [label, query] of [
    ["a double quote", `?label=${encodeURIComponent('say "hi"')}`],
    ["101 characters", `?label=${"l".repeat(101)}`],
    ["a newline", "?label=a%0Ab"],
    ["only spaces", "?label=%20%20"],
  ] as const) {
    add(`captions: put with a label of ${label} → 400`, 400, putCaptions("en", SRT, { query }));
  }
  for (const [label, body] of [
    ["an empty file", ""],
    ["only blank lines", "\n\n  \n"],
    ["a PNG", PNG()],
    ["an MP4", MP4()],
    ["a NUL byte in a cue", "1\n00:00:01,000 --> 00:00:02,000\na\u0000b\n"],
    ["a bell character", "1\n00:00:01,000 --> 00:00:02,000\n\u0007\n"],
    ["UTF-16", Uint8Array.from([0xff, 0xfe, 0x31, 0x00, 0x0a, 0x00])],
    ["Latin-1 bytes", Uint8Array.from([0x31, 0x0a, 0xe9, 0x0a])],
    ["a timing without milliseconds", "1\n00:00:01 --> 00:00:02\nx\n"],
    ["a WebVTT timing with a comma", "WEBVTT\n\n00:01,5 --> 00:02\nx\n"],
    ["61 seconds", "WEBVTT\n\n00:00:61.000 --> 00:01:02.000\nx\n"],
    ["a cue that ends before it starts", "1\n00:00:05,000 --> 00:00:04,000\nx\n"],
    ["a cue past 24 hours", "1\n25:00:00,000 --> 25:00:01,000\nx\n"],
    ["only a NOTE", "WEBVTT\n\nNOTE nothing\n"],
    ["a cue timing in the WebVTT header", "WEBVTT\n00:00:01.000 --> 00:00:02.000\nx\n"],
    ["two cues without a blank line", "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\na\n00:00:03.000 --> 00:00:04.000\nb\n"],
    ["prose", "Once upon a time\nthere was a file\n"],
    ["a number and no timing", "1\nhello\n"],
    ["a JSON body", '{"captions": "no"}'],
  ] as const) {
    add(`captions: put ${label} → 400`, 400, putCaptions("en", body));
  }
  add("captions: put 1 MiB + 1 byte → 413", 413, putCaptions("en", "x".repeat(1024 * 1024 + 1)));
  add("captions: put with a declared length of 1 GB → 413", 413, putCaptions("en", "x", { headers: { "content-length": String(1e9) } }));
  add("captions: put 2 MiB streamed (no Content-Length) → 413", 413, putCaptions("en", streamOf(2 * 1024 * 1024)));
  add("captions: put for an unknown film → 404", 404, putCaptions("en", SRT, { ep: (fx) => ({ ...fx.ready, filmId: fx.unknownId }) }));
  add("captions: put for an unknown episode → 404", 404, putCaptions("en", SRT, { ep: (fx) => ({ ...fx.ready, episode: "404" }) }));
  add("captions: put for a film without episodes → 404", 404, putCaptions("en", SRT, { ep: (fx) => ({ ...fx.ready, filmId: fx.filmId }) }));
  add("captions: put with a malformed film id → 400", 400, putCaptions("en", SRT, { ep: (fx) => ({ ...fx.ready, filmId: "not-a-uuid" }) }));
  add("captions: put with a route of encoded dot-dot → 400", 400, putCaptions("en", SRT, { ep: (fx) => ({ ...fx.ready, route: "%2e%2e" }) }));
  add("captions: put without a bearer → 401", 401, (fx) => {
    const r = putCaptions("en", SRT)(fx);
    return { ...r, headers: { "content-type": "text/plain" } };
  });
  add("captions: list without a bearer → 401", 401, (fx) => get(caps(fx)));
  add("captions: list of an unknown episode → 404", 404, (fx) => ({ ...get(caps(fx, undefined, { ...fx.ready, episode: "404" })), headers: bearer(fx) }));
  add("captions: list of a malformed film id → 400", 400, (fx) => ({ ...get(caps(fx, undefined, { ...fx.ready, filmId: "x" })), headers: bearer(fx) }));
  add("captions: delete a language the episode has none in → 404", 404, (fx) => ({ method: "DELETE", path: caps(fx, "en"), headers: bearer(fx) }));
  add("captions: POST to the captions of a language → 404", 404, (fx) => ({ method: "POST", path: caps(fx, "en"), headers: bearer(fx), body: SRT }));

  // Playback: the subtitle playlist (a plan like the variants) and caption segments.
  const ep = (fx: HostileFixtures) => `/api/v1/resource/media_list/${fx.ready.route}/${fx.ready.filmId}/${fx.ready.episode}`;
  const plan = (fx: HostileFixtures) => signPlan(fx.signingSecret, { scope: `${fx.ready.filmId}/${fx.ready.route}/${fx.ready.episode}`, breaks: [], exp: inAnHour() });
  add("captions: a subtitle playlist without a plan → 400", 400, (fx) => get(`${ep(fx)}/s/en.m3u8`));
  add("captions: a subtitle playlist with a garbage plan → 403", 403, (fx) => get(`${ep(fx)}/s/en.m3u8?plan=garbage`));
  add("captions: a subtitle playlist with another episode's plan → 403", 403, async (fx) =>
    get(`${ep(fx)}/s/en.m3u8?plan=${await signPlan(fx.signingSecret, { scope: `${fx.unknownId}/line1/1`, breaks: [], exp: inAnHour() })}`),
  );
  add("captions: a subtitle playlist of a language without captions → 404", 404, async (fx) => get(`${ep(fx)}/s/en.m3u8?plan=${await plan(fx)}`));
  for (const [label, name] of [
    ["no .m3u8", "en"],
    ["a bad tag", "en_US.m3u8"],
    ["an encoded dot-dot", "%2e%2e.m3u8"],
  ] as const) {
    add(`captions: a subtitle playlist named with ${label} → 400`, 400, async (fx) => get(`${ep(fx)}/s/${name}?plan=${await plan(fx)}`));
  }
  const segment = (fx: HostileFixtures, q: string, lang = "en", file = `${fx.unknownId}.vtt`) => get(`${ep(fx)}/c/${lang}/${file}${q}`);
  for (const [label, q] of [
    ["no window", ""],
    ["to before from", "?from=6&to=0"],
    ["an empty window", "?from=6&to=6"],
    ["a negative from", "?from=-1&to=6"],
    ["an exponent", "?from=1e3&to=2e3"],
    ["4 decimals", "?from=0.0001&to=6"],
    ["from of 7 digits", "?from=1000000&to=1000001"],
    ["a ts of 2^33", `?from=0&to=6&ts=${2 ** 33}`],
    ["a ts that is not a number", "?from=0&to=6&ts=abc"],
    ["a token of 5000 characters", `?from=0&to=6&token=${"t".repeat(5000)}`],
    ["an unknown clip", "?from=0&to=6&clip=middle"],
  ] as const) {
    add(`captions: a caption segment with ${label} → 400`, 400, (fx) => segment(fx, q));
  }
  add("captions: a caption segment of an unknown version → 404", 404, (fx) => segment(fx, "?from=0&to=6&ts=0"));
  add("captions: a caption segment of an unknown version without ts → 404", 404, (fx) => segment(fx, "?from=0&to=6"));
  add("captions: a caption segment with a bad tag → 400", 400, (fx) => segment(fx, "?from=0&to=6", "e_n"));
  add("captions: a caption segment named with an encoded slash → 400", 400, (fx) => segment(fx, "?from=0&to=6", "en", "a%2Fb.vtt"));
  add("captions: a caption segment named .m3u8 → 400", 400, (fx) => segment(fx, "?from=0&to=6", "en", "index.m3u8"));
  add("captions: a caption segment with MEDIA_SIGNING on and no token → 403", 403, (fx) => ({ ...segment(fx, "?from=0&to=6&ts=0"), vars: { MEDIA_SIGNING: "on" } }));
  add("captions: a caption segment with MEDIA_SIGNING on and a video token → 403", 403, async (fx) => ({
    ...segment(fx, `?from=0&to=6&ts=0&token=${await grant(fx, { u: "viewer-media", m: "GET", p: fx.ready.prefix, e: inAnHour() })}`),
    vars: { MEDIA_SIGNING: "on" },
  }));
  add("captions: PUT the empty WebVTT → 404", 404, () => ({ method: "PUT", path: "/api/v1/resource/captions/empty.vtt", body: "x" }));
}

function opsCases() {
  add("ops: /healthz with junk query → 200", 200, () => get("/healthz?x=%ED%A0%80&y=%00"));
  add("ops: POST /healthz → 404", 404, () => ({ method: "POST", path: "/healthz", body: "x" }));
  add("ops: /healthz with a 64 KiB header → 200", 200, () => get("/healthz", { "x-junk": "h".repeat(64 * 1024) }));
  add("ops: /api/v1/ping with junk query and a 64 KiB header → 200", 200, () => get("/api/v1/ping?%ED%A0%80=%00", { "x-junk": "p".repeat(64 * 1024) }));
  add("ops: DELETE /api/v1/ping → 404", 404, () => ({ method: "DELETE", path: "/api/v1/ping" }));
  add("docs: /docs with junk query → 200", 200, () => get("/docs?%ED%A0%80=%F0%9F"));
  add("docs: /api/v1/openapi.json with junk query → 200", 200, () => get("/api/v1/openapi.json?x=%22%3Cscript%3E"));
  add("docs: POST /api/v1/openapi.json → 404", 404, () => ({ method: "POST", path: "/api/v1/openapi.json", headers: json, body: "{}" }));
  add("docs: DELETE /docs → 404", 404, () => ({ method: "DELETE", path: "/docs" }));
  add("docs: /docs/../../ with encoded dot-dot → 404", 404, () => get("/docs/%2e%2e/%2e%2e/wrangler.toml"));
  add("api: an unknown version → 404", 404, () => get("/api/v2/affair"));
  add("api: PATCH a film → 404", 404, (fx) => ({ method: "PATCH", path: `/api/v1/upload/media/${fx.filmId}`, headers: { ...bearer(fx), ...json }, body: "{}" }));
  add("cors: preflight from a strange origin with 8 KiB of requested headers → below 500", "below 500", () => ({
    method: "OPTIONS",
    path: "/api/v1/affair",
    headers: { origin: "null", "access-control-request-method": "DELETE", "access-control-request-headers": "x-a,".repeat(1600) },
  }));
}

catalogCases();
mediaCases();
uploadCases();
authCases();
adminCases();
internalCases();
issue12Cases();
captionCases();
opsCases();

/** Every hostile case, in a stable order. */
export const HOSTILE_CASES: readonly HostileCase[] = cases;

/** Valid-but-odd search texts: answered 200 with a list, on both search routes. */
export const ODD_SEARCHES: ReadonlyArray<{ name: string; path: string }> = ODD_SEARCH_TEXTS.flatMap(([label, v]) => [
  { name: `search/content with ${label}`, path: `/api/v1/affair/search/content?content=${v}` },
  { name: `search/celebrity with ${label}`, path: `/api/v1/affair/search/celebrity?content=${v}` },
]);
