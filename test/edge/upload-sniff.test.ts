import { describe, expect, it } from "vitest";
import { sniff, sniffImage, sniffVideo } from "../../edge/lib/sniff";

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
