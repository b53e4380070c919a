// What a file is, from its first bytes (never from the client's Content-Type, which anyone can
// set). Pure: no I/O, usable in tests and benches as is.

export type ImageKind = { kind: "image"; ext: "png" | "jpg" | "gif" | "webp"; contentType: string };
export type VideoKind = { kind: "video"; ext: "mp4" | "mov" | "mkv" | "webm" | "ts" | "avi" | "flv"; contentType: string };
export type Sniffed = ImageKind | VideoKind;

/** Bytes `sniff` wants to see to decide (it decides on fewer at the end of a short file). */
export const SNIFF_BYTES = 4096;

const TS_PACKET = 188;

function startsWith(b: Uint8Array, sig: readonly number[], at = 0): boolean {
  if (b.length < at + sig.length) return false;
  for (let i = 0; i < sig.length; i++) if (b[at + i] !== sig[i]) return false;
  return true;
}

function ascii(b: Uint8Array, from: number, to: number): string {
  return String.fromCharCode(...b.subarray(from, to));
}

export function sniffImage(b: Uint8Array): ImageKind | null {
  if (startsWith(b, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return { kind: "image", ext: "png", contentType: "image/png" };
  if (startsWith(b, [0xff, 0xd8, 0xff])) return { kind: "image", ext: "jpg", contentType: "image/jpeg" };
  if (startsWith(b, [0x47, 0x49, 0x46, 0x38]) && (b[4] === 0x37 || b[4] === 0x39) && b[5] === 0x61) {
    return { kind: "image", ext: "gif", contentType: "image/gif" };
  }
  if (b.length >= 12 && ascii(b, 0, 4) === "RIFF" && ascii(b, 8, 12) === "WEBP") return { kind: "image", ext: "webp", contentType: "image/webp" };
  return null;
}

export function sniffVideo(b: Uint8Array): VideoKind | null {
  // ISO base media (MP4, MOV, M4V, 3GP): a box size, then "ftyp" and a brand.
  if (b.length >= 12 && ascii(b, 4, 8) === "ftyp") {
    const brand = ascii(b, 8, 12);
    return brand === "qt  "
      ? { kind: "video", ext: "mov", contentType: "video/quicktime" }
      : { kind: "video", ext: "mp4", contentType: "video/mp4" };
  }
  // QuickTime files without ftyp start straight with a moov/mdat/wide/free box.
  if (b.length >= 8 && ["moov", "mdat", "wide", "free"].includes(ascii(b, 4, 8)) && b[0] === 0) {
    return { kind: "video", ext: "mov", contentType: "video/quicktime" };
  }
  // Matroska and WebM: the EBML magic; the DocType says which.
  if (startsWith(b, [0x1a, 0x45, 0xdf, 0xa3])) {
    const head = ascii(b, 0, Math.min(b.length, 64));
    return head.includes("webm")
      ? { kind: "video", ext: "webm", contentType: "video/webm" }
      : { kind: "video", ext: "mkv", contentType: "video/x-matroska" };
  }
  if (b.length >= 12 && ascii(b, 0, 4) === "RIFF" && ascii(b, 8, 12) === "AVI ") return { kind: "video", ext: "avi", contentType: "video/x-msvideo" };
  if (startsWith(b, [0x46, 0x4c, 0x56, 0x01])) return { kind: "video", ext: "flv", contentType: "video/x-flv" };
  // MPEG-TS: one sync byte every 188 bytes. A lone 0x47 is too weak (it is the letter "G"), so
  // every packet start we can see must carry it, and we must see at least two.
  if (b[0] === 0x47 && b.length > TS_PACKET) {
    for (let at = 0; at < b.length; at += TS_PACKET) if (b[at] !== 0x47) return null;
    return { kind: "video", ext: "ts", contentType: "video/mp2t" };
  }
  return null;
}

export function sniff(b: Uint8Array): Sniffed | null {
  return sniffImage(b) ?? sniffVideo(b);
}
