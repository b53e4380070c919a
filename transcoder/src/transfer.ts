// Moving bytes through the edge's signed URLs: the source down to a temp file, outputs up under the
// job's prefix. The transcoder holds no R2 credentials; the URLs are its only access.
import { createWriteStream } from "node:fs";
import { readFile, rm, stat } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { JobUrls } from "../../schema/jobs";
import { ForeignUrlError, HttpError, PermanentError, SourceLimitError } from "./errors";
import { log } from "./log";
import { withRetry } from "./retry";

/** Expiry in epoch ms; the edge may state it in seconds (like a grant's `e`) or milliseconds. */
export function expiresAtMs(urls: JobUrls): number {
  return urls.expiresAt < 1e12 ? urls.expiresAt * 1000 : urls.expiresAt;
}

/** Throws ForeignUrlError unless `url` is at `origin` over http(s). */
export function assertAtOrigin(url: string, origin: string, what: string): URL {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new ForeignUrlError(`the job's ${what} URL is not a URL`);
  }
  if (u.origin !== origin || (u.protocol !== "https:" && u.protocol !== "http:")) {
    throw new ForeignUrlError(`the job's ${what} URL points at ${u.protocol === "http:" || u.protocol === "https:" ? u.origin : u.protocol}, not at EDGE_URL (${origin}); refused, nothing fetched`);
  }
  return u;
}

/** Every URL of a job at the edge's origin, the output base a directory (a file name appended cannot leave it). */
export function checkJobUrls(urls: JobUrls, origin: string): JobUrls {
  assertAtOrigin(urls.source, origin, "source");
  const base = assertAtOrigin(urls.outputBase, origin, "output");
  if (!base.pathname.endsWith("/") || base.search || base.hash) throw new ForeignUrlError("the job's output URL is not a directory URL");
  return urls;
}

/**
 * The job's current signed URLs, only ever at the edge's origin (each set is checked, delivered or
 * refreshed). Refreshes when they are about to expire or when the edge refused one (403);
 * concurrent uploads that hit a 403 together share one refresh.
 */
export class JobUrlSource {
  private refreshing: Promise<JobUrls> | null = null;

  constructor(
    private urls: JobUrls | undefined,
    private readonly refresh: () => Promise<JobUrls>,
    /** EDGE_URL's origin, e.g. `https://edge.example.com`. */
    private readonly origin: string,
    /** Refresh when fewer than this many ms of validity are left. */
    private readonly marginMs = 10 * 60 * 1000,
  ) {}

  async get(): Promise<JobUrls> {
    if (this.urls) checkJobUrls(this.urls, this.origin);
    if (this.urls && expiresAtMs(this.urls) - Date.now() > this.marginMs) return this.urls;
    return this.renew(this.urls);
  }

  /** Replaces `stale` (the URLs a request was refused with) unless someone already did. */
  async renew(stale: JobUrls | undefined): Promise<JobUrls> {
    if (this.urls !== stale && this.urls && expiresAtMs(this.urls) > Date.now()) return this.urls;
    this.refreshing ??= this.refresh()
      .then((u) => checkJobUrls(u, this.origin))
      .finally(() => {
        this.refreshing = null;
      });
    this.urls = await this.refreshing;
    return this.urls;
  }
}

export interface TransferOptions {
  tries: number;
  /** The most bytes the source may have (MAX_SOURCE_BYTES); more fails the job for good. */
  maxBytes?: number;
  signal?: AbortSignal;
  /** Per-request timeout for small files (ms); the source download has none (it may be large). */
  timeoutMs?: number;
}

const worthRetrying = (e: unknown) => !(e instanceof PermanentError) && (!(e instanceof HttpError) || e.retryable || e.status === 403);

const tooLarge = (max: number, what: string) =>
  new SourceLimitError(`the source is larger than MAX_SOURCE_BYTES (${max} bytes): ${what}`);

/**
 * A 3xx would send us off EDGE_URL's origin (or anywhere the edge says): never followed.
 * Throws for one, after freeing its body.
 */
async function refuseRedirect(res: Response, what: string): Promise<void> {
  if (res.status < 300 || res.status > 399) return;
  await res.body?.cancel();
  throw new ForeignUrlError(`${what} answered a redirect (${res.status}) to ${res.headers.get("location") ?? "nowhere"}; not followed`);
}

/**
 * Streams the source to `dest`. 403 → fresh URLs; 404 → the source is gone (permanent); over
 * `maxBytes` (announced or counted) → refused for good, the part read deleted.
 */
export async function downloadSource(urls: JobUrlSource, dest: string, o: TransferOptions): Promise<number> {
  const max = o.maxBytes ?? Number.POSITIVE_INFINITY;
  return withRetry(
    async () => {
      const u = await urls.get();
      const res = await fetch(u.source, { signal: o.signal, redirect: "manual" });
      await refuseRedirect(res, "GET source");
      if (res.status === 403) {
        await res.body?.cancel();
        await urls.renew(u);
        throw new HttpError(403, "GET source");
      }
      if (res.status === 404) {
        await res.body?.cancel();
        throw new PermanentError("the source object does not exist (404 from the edge)");
      }
      if (!res.ok || !res.body) throw new HttpError(res.status, "GET source", await res.text().catch(() => ""));
      const announced = Number(res.headers.get("content-length"));
      if (Number.isFinite(announced) && announced > max) {
        await res.body.cancel();
        throw tooLarge(max, `the edge announces ${announced} bytes`);
      }
      let seen = 0;
      try {
        await pipeline(
          Readable.fromWeb(res.body as import("node:stream/web").ReadableStream),
          // Counted as it arrives: a missing or false Content-Length must not fill the disk.
          async function* (chunks: AsyncIterable<Buffer>) {
            for await (const chunk of chunks) {
              seen += chunk.length;
              if (seen > max) throw tooLarge(max, `more than ${max} bytes arrived`);
              yield chunk;
            }
          },
          createWriteStream(dest),
          { signal: o.signal },
        );
      } catch (e) {
        await rm(dest, { force: true });
        throw e;
      }
      const size = (await stat(dest)).size;
      const expected = Number(res.headers.get("content-length"));
      if (Number.isFinite(expected) && expected > 0 && size !== expected) {
        throw new Error(`source download was cut short (${size} of ${expected} bytes)`);
      }
      return size;
    },
    {
      tries: o.tries,
      baseMs: 1_000,
      maxMs: 30_000,
      signal: o.signal,
      retryable: worthRetrying,
      onRetry: (e, n, d) => log.warn(`source download failed (${(e as Error).message}); try ${n} in ${d} ms`),
    },
  );
}

export function contentTypeOf(file: string): string {
  switch (path.extname(file).toLowerCase()) {
    case ".m3u8":
      return "application/vnd.apple.mpegurl";
    case ".ts":
      return "video/mp2t";
    case ".m4s":
      return "video/iso.segment";
    case ".mp4":
      return "video/mp4";
    case ".vtt":
      return "text/vtt";
    case ".jpg":
    case ".jpeg":
      return "image/jpeg";
    default:
      return "application/octet-stream";
  }
}

/** `PUT ${outputBase}${relativePath}?token=…`; each file retried on its own. */
export async function uploadFile(urls: JobUrlSource, dir: string, rel: string, o: TransferOptions): Promise<void> {
  // Files are segments and playlists (a few MB at most): reading one whole gives fetch an exact Content-Length.
  const body = new Uint8Array(await readFile(path.join(dir, rel)));
  await withRetry(
    async () => {
      const u = await urls.get();
      const target = `${u.outputBase}${rel.split("/").map(encodeURIComponent).join("/")}?token=${encodeURIComponent(u.outputToken)}`;
      assertAtOrigin(target, new URL(u.outputBase).origin, "output");
      const timeout = AbortSignal.timeout(o.timeoutMs ?? 120_000);
      const res = await fetch(target, {
        method: "PUT",
        headers: { "content-type": contentTypeOf(rel), "content-length": String(body.byteLength) },
        body,
        redirect: "manual",
        signal: o.signal ? AbortSignal.any([o.signal, timeout]) : timeout,
      });
      await refuseRedirect(res, `PUT ${rel}`);
      const text = res.ok ? "" : await res.text().catch(() => "");
      if (res.ok) await res.body?.cancel();
      if (res.status === 403) {
        await urls.renew(u);
        throw new HttpError(403, `PUT ${rel}`, text);
      }
      if (!res.ok) throw new HttpError(res.status, `PUT ${rel}`, text);
    },
    {
      tries: o.tries,
      baseMs: 500,
      maxMs: 15_000,
      signal: o.signal,
      retryable: worthRetrying,
      onRetry: (e, n, d) => log.warn(`upload of ${rel} failed (${(e as Error).message}); try ${n} in ${d} ms`),
    },
  );
}

/**
 * Uploads in the order given, `concurrency` at a time, but never starts a playlist before every
 * file listed ahead of it is up: a reader must never find a playlist naming a missing segment,
 * and the master goes last.
 */
export async function uploadAll(
  urls: JobUrlSource,
  dir: string,
  files: string[],
  o: TransferOptions & { concurrency: number; onFile?: (done: number, total: number) => void },
): Promise<void> {
  let done = 0;
  let batch: string[] = [];
  const flush = async () => {
    let next = 0;
    let failed = false;
    const run = async () => {
      // After one file has failed for good, the others stop taking work: the attempt is lost anyway.
      while (next < batch.length && !failed) {
        const rel = batch[next++]!;
        try {
          await uploadFile(urls, dir, rel, o);
        } catch (e) {
          failed = true;
          throw e;
        }
        o.onFile?.(++done, files.length);
      }
    };
    await Promise.all(Array.from({ length: Math.min(o.concurrency, batch.length) }, run));
    batch = [];
  };
  for (const rel of files) {
    if (rel.endsWith(".m3u8")) {
      await flush();
      batch = [rel];
      await flush();
    } else {
      batch.push(rel);
    }
  }
  await flush();
}
