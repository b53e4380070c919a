// A streaming multipart/form-data reader. `Request.formData()` holds the whole body in memory,
// which a Worker (128 MB) cannot afford for video uploads; this reads one part at a time and hands
// out a file's bytes as they arrive, keeping at most one network chunk plus a boundary's length.
// Pure: only Web Streams, no Workers APIs.

export class FormError extends Error {}
/** The body went past the reader's byte limit (checked as it streams, whatever Content-Length said). */
export class BodyTooLarge extends Error {}

export interface PartHead {
  name: string;
  filename?: string;
  contentType?: string;
}

const enc = new TextEncoder();
const dec = new TextDecoder();
const CRLF = enc.encode("\r\n");
const HEADER_END = enc.encode("\r\n\r\n");
const MAX_HEADER_BYTES = 16 * 1024;
const MAX_PREAMBLE_BYTES = 64 * 1024;

/** The boundary of a multipart/form-data Content-Type, or null when it is not one. */
export function formBoundary(contentType: string | null | undefined): string | null {
  if (!contentType) return null;
  const [type, ...params] = contentType.split(";");
  if (type?.trim().toLowerCase() !== "multipart/form-data") return null;
  for (const p of params) {
    const eq = p.indexOf("=");
    if (eq < 0 || p.slice(0, eq).trim().toLowerCase() !== "boundary") continue;
    let v = p.slice(eq + 1).trim();
    if (v.startsWith('"') && v.endsWith('"') && v.length >= 2) v = v.slice(1, -1);
    // RFC 2046: 1-70 characters.
    return v.length >= 1 && v.length <= 70 ? v : null;
  }
  return null;
}

function indexOf(hay: Uint8Array, needle: Uint8Array, from = 0): number {
  const first = needle[0]!;
  const last = hay.length - needle.length;
  for (let i = hay.indexOf(first, from); i !== -1 && i <= last; i = hay.indexOf(first, i + 1)) {
    let j = 1;
    while (j < needle.length && hay[i + j] === needle[j]) j++;
    if (j === needle.length) return i;
  }
  return -1;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

function parseHeaders(block: string): PartHead {
  let disposition = "";
  let contentType: string | undefined;
  for (const line of block.split("\r\n")) {
    const colon = line.indexOf(":");
    if (colon < 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === "content-disposition") disposition = value;
    else if (name === "content-type") contentType = value;
  }
  if (!/^form-data\s*(;|$)/i.test(disposition)) throw new FormError("a part has no Content-Disposition: form-data");
  const param = (key: string) => {
    const m = new RegExp(`;\\s*${key}="((?:[^"\\\\]|\\\\.)*)"`, "i").exec(disposition) ?? new RegExp(`;\\s*${key}=([^;\\s]+)`, "i").exec(disposition);
    return m?.[1]?.replace(/\\(.)/g, "$1");
  };
  const name = param("name");
  if (name === undefined) throw new FormError("a part has no name");
  return { name, filename: param("filename"), contentType };
}

/**
 * Reads parts in order: `next()` gives the next part's headers (null at the end); then
 * `chunk()` gives its body piece by piece (null at its end), or `text()` all of it. A part's body
 * not read is skipped by the next `next()`.
 */
export class FormReader {
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  /** "\r\n--boundary": what ends a part's body. */
  private readonly delimiter: Uint8Array;
  private buf: Uint8Array = new Uint8Array(0);
  private eof = false;
  private state: "start" | "head" | "body" | "done" = "start";
  private received = 0;

  constructor(
    body: ReadableStream<Uint8Array>,
    boundary: string,
    private readonly maxBytes = Number.POSITIVE_INFINITY,
  ) {
    this.reader = body.getReader();
    this.delimiter = enc.encode(`\r\n--${boundary}`);
  }

  private async fill(): Promise<boolean> {
    if (this.eof) return false;
    let chunk: ReadableStreamReadResult<Uint8Array>;
    try {
      chunk = await this.reader.read();
    } catch (e) {
      // The client went away mid-body ("Network connection lost"): its fault, not a server error.
      throw new FormError(`the body could not be read to its end (${e instanceof Error ? e.message : String(e)})`);
    }
    const { done, value } = chunk;
    if (done) {
      this.eof = true;
      return false;
    }
    this.received += value.length;
    if (this.received > this.maxBytes) {
      await this.reader.cancel().catch(() => {});
      throw new BodyTooLarge(`body larger than ${this.maxBytes} bytes`);
    }
    this.buf = concat(this.buf, value);
    return true;
  }

  /** After a delimiter: "--" ends the form, CRLF starts a part (transport padding allowed). */
  private async afterDelimiter(): Promise<void> {
    while (this.buf.length < 2) if (!(await this.fill())) throw new FormError("form body ends inside a boundary");
    if (this.buf[0] === 0x2d && this.buf[1] === 0x2d) {
      this.state = "done";
      this.buf = new Uint8Array(0);
      await this.reader.cancel().catch(() => {});
      return;
    }
    let eol: number;
    while ((eol = indexOf(this.buf, CRLF)) < 0) {
      if (this.buf.length > 1024) throw new FormError("malformed boundary line");
      if (!(await this.fill())) throw new FormError("form body ends inside a boundary");
    }
    if (dec.decode(this.buf.subarray(0, eol)).trim() !== "") throw new FormError("malformed boundary line");
    this.buf = this.buf.subarray(eol + 2);
    this.state = "head";
  }

  async next(): Promise<PartHead | null> {
    if (this.state === "start") {
      // The first boundary has no leading CRLF; look for it with one prepended.
      this.buf = concat(CRLF, this.buf);
      let at: number;
      while ((at = indexOf(this.buf, this.delimiter)) < 0) {
        if (this.buf.length > MAX_PREAMBLE_BYTES) throw new FormError("no multipart boundary found");
        if (!(await this.fill())) throw new FormError("no multipart boundary found");
      }
      this.buf = this.buf.subarray(at + this.delimiter.length);
      await this.afterDelimiter();
    }
    while (this.state === "body") await this.chunk();
    if (this.state === "done") return null;
    let end: number;
    while ((end = indexOf(this.buf, HEADER_END)) < 0) {
      if (this.buf.length > MAX_HEADER_BYTES) throw new FormError("part headers too large");
      if (!(await this.fill())) throw new FormError("form body ends inside part headers");
    }
    const head = parseHeaders(dec.decode(this.buf.subarray(0, end)));
    this.buf = this.buf.subarray(end + 4);
    this.state = "body";
    return head;
  }

  /** The next piece of the current part's body, or null once it has ended. */
  async chunk(): Promise<Uint8Array | null> {
    if (this.state !== "body") return null;
    for (;;) {
      const at = indexOf(this.buf, this.delimiter);
      if (at >= 0) {
        const out = this.buf.subarray(0, at);
        this.buf = this.buf.subarray(at + this.delimiter.length);
        await this.afterDelimiter();
        if (this.state === "body") this.state = "head";
        return out.length > 0 ? out : null;
      }
      // Everything except a tail that could be the start of the delimiter is body.
      const safe = this.buf.length - (this.delimiter.length - 1);
      if (safe > 0) {
        const out = this.buf.subarray(0, safe);
        this.buf = this.buf.slice(safe);
        return out;
      }
      if (!(await this.fill())) throw new FormError("form body ends inside a part");
    }
  }

  /** The current part's body as text, refusing more than `max` bytes. */
  async text(max: number): Promise<string> {
    let bytes: Uint8Array = new Uint8Array(0);
    for (let c = await this.chunk(); c; c = await this.chunk()) {
      bytes = concat(bytes, c);
      if (bytes.length > max) throw new FormError(`a form field is longer than ${max} bytes`);
    }
    return dec.decode(bytes);
  }
}
