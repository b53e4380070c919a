// Writes a byte stream of unknown length into R2 with bounded memory. R2's `put` needs the length
// up front (a multipart form's file part has none), so bytes are gathered into fixed-size parts of
// an R2 multipart upload; a file smaller than one part becomes a single `put`.

/** R2 wants every part but the last to be the same size, and at least 5 MiB. */
export const STREAM_PART_BYTES = 8 * 1024 * 1024;

export class R2StreamWriter {
  private chunks: Uint8Array[] = [];
  private buffered = 0;
  private upload: R2MultipartUpload | null = null;
  private parts: R2UploadedPart[] = [];
  private finished = false;
  /** Bytes accepted so far. */
  size = 0;

  constructor(
    private readonly bucket: R2Bucket,
    readonly key: string,
    private readonly options: { contentType: string; partBytes?: number },
  ) {}

  private get partBytes(): number {
    return this.options.partBytes ?? STREAM_PART_BYTES;
  }

  /** Takes exactly `n` buffered bytes off the front, as one array. */
  private take(n: number): Uint8Array {
    const out = new Uint8Array(n);
    let filled = 0;
    while (filled < n) {
      const c = this.chunks[0]!;
      const use = Math.min(c.length, n - filled);
      out.set(c.subarray(0, use), filled);
      filled += use;
      if (use === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(use);
    }
    this.buffered -= n;
    return out;
  }

  async write(chunk: Uint8Array): Promise<void> {
    if (this.finished) throw new Error("writer already finished");
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    this.size += chunk.length;
    while (this.buffered >= this.partBytes) {
      this.upload ??= await this.bucket.createMultipartUpload(this.key, { httpMetadata: { contentType: this.options.contentType } });
      const body = this.take(this.partBytes);
      this.parts.push(await this.upload.uploadPart(this.parts.length + 1, body));
    }
  }

  /** Stores what was written; the object exists only after this resolves. */
  async finish(): Promise<R2Object> {
    if (this.finished) throw new Error("writer already finished");
    this.finished = true;
    const rest = this.take(this.buffered);
    if (!this.upload) {
      return this.bucket.put(this.key, rest, { httpMetadata: { contentType: this.options.contentType } });
    }
    if (rest.length > 0) this.parts.push(await this.upload.uploadPart(this.parts.length + 1, rest));
    return this.upload.complete(this.parts);
  }

  /** Frees whatever was stored (parts or the finished object). Never throws. */
  async discard(): Promise<void> {
    this.finished = true;
    this.chunks = [];
    this.buffered = 0;
    try {
      if (this.upload) await this.upload.abort();
    } catch {
      // already completed or aborted: the delete below covers it
    }
    await this.bucket.delete(this.key).catch(() => {});
  }
}
