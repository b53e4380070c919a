// Moving bytes through the edge's signed URLs: the source down to a temp file, outputs up under the
// job's prefix. The transcoder holds no R2 credentials; the URLs are its only access.
import { createWriteStream } from "node:fs";
import { readFile, rm, stat } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { JobUrls } from "../../schema/jobs";
import { HttpError, PermanentError } from "./errors";
import { log } from "./log";
import { withRetry } from "./retry";

/** Expiry in epoch ms; the edge may state it in seconds (like a grant's `e`) or milliseconds. */
export function expiresAtMs(urls: JobUrls): number {
  return urls.expiresAt < 1e12 ? urls.expiresAt * 1000 : urls.expiresAt;
}

/**
 * The job's current signed URLs. Refreshes when they are about to expire or when the edge refused
 * one (403); concurrent uploads that hit a 403 together share one refresh.
 */
export class JobUrlSource {
  private refreshing: Promise<JobUrls> | null = null;

  constructor(
    private urls: JobUrls | undefined,
    private readonly refresh: () => Promise<JobUrls>,
    /** Refresh when fewer than this many ms of validity are left. */
    private readonly marginMs = 10 * 60 * 1000,
  ) {}

  async get(): Promise<JobUrls> {
    if (this.urls && expiresAtMs(this.urls) - Date.now() > this.marginMs) return this.urls;
    return this.renew(this.urls);
  }

  /** Replaces `stale` (the URLs a request was refused with) unless someone already did. */
  async renew(stale: JobUrls | undefined): Promise<JobUrls> {
    if (this.urls !== stale && this.urls && expiresAtMs(this.urls) > Date.now()) return this.urls;
    this.refreshing ??= this.refresh().finally(() => {
      this.refreshing = null;
    });
    this.urls = await this.refreshing;
    return this.urls;
  }
}

export interface TransferOptions {
  tries: number;
  signal?: AbortSignal;
  /** Per-request timeout for small files (ms); the source download has none (it may be large). */
  timeoutMs?: number;
}

const worthRetrying = (e: unknown) => !(e instanceof HttpError) || e.retryable || e.status === 403;

/** Streams the source to `dest`. 403 → fresh URLs; 404 → the source is gone (permanent). */
export async function downloadSource(urls: JobUrlSource, dest: string, o: TransferOptions): Promise<number> {
  return withRetry(
    async () => {
      const u = await urls.get();
      const res = await fetch(u.source, { signal: o.signal });
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
      try {
        await pipeline(Readable.fromWeb(res.body as import("node:stream/web").ReadableStream), createWriteStream(dest), { signal: o.signal });
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
      retryable: (e) => !(e instanceof PermanentError) && worthRetrying(e),
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
      const timeout = AbortSignal.timeout(o.timeoutMs ?? 120_000);
      const res = await fetch(target, {
        method: "PUT",
        headers: { "content-type": contentTypeOf(rel), "content-length": String(body.byteLength) },
        body,
        signal: o.signal ? AbortSignal.any([o.signal, timeout]) : timeout,
      });
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
