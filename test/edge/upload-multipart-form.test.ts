// Magic-byte sniffing, and the streaming multipart reader against forms serialised by the
// runtime's own FormData, fed in chunks of every awkward size, and against broken forms.
import { describe, expect, it } from "vitest";
import { BodyTooLarge, FormError, FormReader, formBoundary } from "../../edge/lib/multipart-form";
import { R2StreamWriter } from "../../edge/lib/multipart-r2";
import { env } from "cloudflare:workers";
import { sniff, sniffImage, sniffVideo } from "../../edge/lib/sniff";
import { files, sha256 } from "./upload-support";

async function serialise(fd: FormData): Promise<{ bytes: Uint8Array; contentType: string }> {
  const res = new Response(fd);
  return { bytes: new Uint8Array(await res.arrayBuffer()), contentType: res.headers.get("content-type")! };
}

function chunked(bytes: Uint8Array, sizes: (i: number) => number): ReadableStream<Uint8Array> {
  let at = 0;
  let i = 0;
  return new ReadableStream({
    pull(ctl) {
      if (at >= bytes.length) return ctl.close();
      const n = Math.max(1, sizes(i++));
      ctl.enqueue(bytes.slice(at, at + n));
      at += n;
    },
  });
}

async function readAll(stream: ReadableStream<Uint8Array>, boundary: string, max?: number) {
  const reader = new FormReader(stream, boundary, max);
  const parts: { name: string; filename?: string; contentType?: string; bytes: Uint8Array }[] = [];
  for (let head = await reader.next(); head; head = await reader.next()) {
    const chunks: Uint8Array[] = [];
    for (let c = await reader.chunk(); c; c = await reader.chunk()) chunks.push(c);
    parts.push({ ...head, bytes: new Uint8Array(await new Blob(chunks).arrayBuffer()) });
  }
  return parts;
}

// Generous: these move megabytes through workerd, and the suite shares 2 cores.
describe("formBoundary", { timeout: 30_000 }, () => {
  it("reads quoted and bare boundaries and refuses other types", () => {
    expect(formBoundary("multipart/form-data; boundary=abc")).toBe("abc");
    expect(formBoundary('multipart/form-data; charset=utf-8; boundary="a b:c"')).toBe("a b:c");
    expect(formBoundary("application/json")).toBeNull();
    expect(formBoundary("multipart/form-data")).toBeNull();
    expect(formBoundary(null)).toBeNull();
  });
});

describe("FormReader", { timeout: 30_000 }, () => {
  // A file whose bytes contain CRLF, dashes and most of the boundary: the reader must not stop early.
  const tricky = new Uint8Array([...files.mp4(3000, 3), ...new TextEncoder().encode("\r\n--\r\n-----\r\n--formdata-undici"), ...files.mp4(5000, 9)]);

  for (const [label, sizes] of [
    ["one chunk", () => 1 << 30],
    ["1-byte chunks", () => 1],
    ["7-byte chunks", () => 7],
    ["random chunks", () => 1 + Math.floor(Math.random() * 900)],
  ] as const) {
    it(`reassembles fields and a binary file from ${label}`, async () => {
      const fd = new FormData();
      fd.append("advertisement_type", "FILM");
      fd.append("file", new File([tricky], "clip.mp4", { type: "video/mp4" }));
      fd.append("expired_time", "2099-01-01T00:00:00Z");
      const { bytes, contentType } = await serialise(fd);
      const parts = await readAll(chunked(bytes, sizes), formBoundary(contentType)!);
      expect(parts.map((p) => p.name)).toEqual(["advertisement_type", "file", "expired_time"]);
      expect(new TextDecoder().decode(parts[0]!.bytes)).toBe("FILM");
      expect(parts[1]!.filename).toBe("clip.mp4");
      expect(parts[1]!.contentType).toBe("video/mp4");
      expect(await sha256(parts[1]!.bytes)).toBe(await sha256(tricky));
      expect(new TextDecoder().decode(parts[2]!.bytes)).toBe("2099-01-01T00:00:00Z");
    });
  }

  it("skips a part's body that the caller does not read", async () => {
    const fd = new FormData();
    fd.append("ignored", new File([files.png(10_000)], "x.png"));
    fd.append("kept", "yes");
    const { bytes, contentType } = await serialise(fd);
    const reader = new FormReader(chunked(bytes, () => 333), formBoundary(contentType)!);
    expect((await reader.next())?.name).toBe("ignored");
    expect((await reader.next())?.name).toBe("kept");
    expect(await reader.text(100)).toBe("yes");
    expect(await reader.next()).toBeNull();
  });

  it("refuses a form that ends inside a part, has no boundary, or a field that is too long", async () => {
    const enc = new TextEncoder();
    const cut = enc.encode('--b\r\ncontent-disposition: form-data; name="f"\r\n\r\nhalf a body');
    await expect(readAll(chunked(cut, () => 5), "b")).rejects.toBeInstanceOf(FormError);
    await expect(readAll(chunked(enc.encode("no boundary here"), () => 5), "b")).rejects.toBeInstanceOf(FormError);
    const noName = enc.encode("--b\r\ncontent-disposition: form-data\r\n\r\nx\r\n--b--\r\n");
    await expect(readAll(chunked(noName, () => 5), "b")).rejects.toThrow(/no name/);
    const long = enc.encode(`--b\r\ncontent-disposition: form-data; name="f"\r\n\r\n${"x".repeat(200)}\r\n--b--\r\n`);
    const reader = new FormReader(chunked(long, () => 64), "b");
    await reader.next();
    await expect(reader.text(100)).rejects.toBeInstanceOf(FormError);
  });

  it("stops reading once the body passes its byte limit", async () => {
    const fd = new FormData();
    fd.append("file", new File([files.mp4(50_000)], "a.mp4"));
    const { bytes, contentType } = await serialise(fd);
    let pulled = 0;
    const stream = chunked(bytes, () => 1000);
    const counting = stream.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(c, ctl) {
          pulled += c.length;
          ctl.enqueue(c);
        },
      }),
    );
    await expect(readAll(counting, formBoundary(contentType)!, 10_000)).rejects.toBeInstanceOf(BodyTooLarge);
    expect(pulled).toBeLessThan(20_000);
  });
});

describe("R2StreamWriter", { timeout: 30_000 }, () => {
  it("stores a stream of unknown length byte-exact, as one put or as fixed-size parts", async () => {
    const small = files.mp4(3000, 5);
    const w1 = new R2StreamWriter(env.MEDIA, `test-writer/${crypto.randomUUID()}`, { contentType: "video/mp4" });
    for (let i = 0; i < small.length; i += 1000) await w1.write(small.subarray(i, i + 1000));
    await w1.finish();
    const o1 = await env.MEDIA.get(w1.key);
    expect(await sha256(await o1!.arrayBuffer())).toBe(await sha256(small));
    expect(o1!.httpMetadata?.contentType).toBe("video/mp4");

    // 5 MiB parts (R2's minimum) so the multipart path runs with modest memory.
    const partBytes = 5 * 1024 * 1024;
    const big = files.mp4(2 * partBytes + 12_345, 11);
    const w2 = new R2StreamWriter(env.MEDIA, `test-writer/${crypto.randomUUID()}`, { contentType: "video/mp4", partBytes });
    for (let i = 0; i < big.length; i += 777_777) await w2.write(big.subarray(i, i + 777_777));
    const stored = await w2.finish();
    expect(stored.size).toBe(big.length);
    const o2 = await env.MEDIA.get(w2.key);
    expect(await sha256(await o2!.arrayBuffer())).toBe(await sha256(big));

    await w2.discard();
    expect(await env.MEDIA.head(w2.key)).toBeNull();
  });
});

const bytes = (...parts: (number[] | string)[]) =>
  Uint8Array.from(parts.flatMap((p) => (typeof p === "string" ? Array.from(new TextEncoder().encode(p)) : p)));

describe("sniff (magic bytes)", () => {
  it("recognises the images a poster or web ad may be", () => {
    expect(sniffImage(bytes([0x89], "PNG\r\n", [0x1a, 0x0a], "rest"))?.ext).toBe("png");
    expect(sniffImage(bytes([0xff, 0xd8, 0xff, 0xe1], "Exif"))?.ext).toBe("jpg");
    expect(sniffImage(bytes("GIF87a..."))?.ext).toBe("gif");
    expect(sniffImage(bytes("GIF89a..."))?.contentType).toBe("image/gif");
    expect(sniffImage(bytes("RIFF", [1, 2, 3, 4], "WEBPVP8 "))?.ext).toBe("webp");
  });

  it("recognises the video containers an episode may come in", () => {
    expect(sniffVideo(bytes([0, 0, 0, 0x18], "ftypmp42", [0, 0, 0, 0]))?.ext).toBe("mp4");
    expect(sniffVideo(bytes([0, 0, 0, 0x14], "ftypqt  ", [0, 0, 0, 0]))?.ext).toBe("mov");
    expect(sniffVideo(bytes([0x1a, 0x45, 0xdf, 0xa3, 0x9f, 0x42, 0x82, 0x88], "matroska"))?.ext).toBe("mkv");
    expect(sniffVideo(bytes([0x1a, 0x45, 0xdf, 0xa3, 0x9f, 0x42, 0x82, 0x84], "webm"))?.ext).toBe("webm");
    expect(sniffVideo(bytes("RIFF", [0, 0, 0, 0], "AVI LIST"))?.ext).toBe("avi");
    expect(sniffVideo(bytes("FLV", [1, 5]))?.ext).toBe("flv");
    const ts = new Uint8Array(188 * 3);
    for (let i = 0; i < ts.length; i += 188) ts[i] = 0x47;
    expect(sniffVideo(ts)?.ext).toBe("ts");
  });

  it("does not take a name, a text or a lone 'G' for media", () => {
    expect(sniff(bytes("just text"))).toBeNull();
    expect(sniff(bytes("<svg xmlns='http://www.w3.org/2000/svg'/>"))).toBeNull();
    expect(sniff(bytes("Good morning, this starts with a G and is long enough ".repeat(10)))).toBeNull();
    expect(sniff(new Uint8Array(0))).toBeNull();
    expect(sniff(bytes("RIFF", [0, 0, 0, 0], "WAVEfmt "))).toBeNull();
  });
});
