// Where a rendition's media timeline starts, at 90 kHz: the MPEGTS value of a WebVTT caption segment's
// X-TIMESTAMP-MAP. Pure: bytes in, a number (or null) out; no I/O.
//
// hls.js measures a caption cue against the initPTS of the media in the same discontinuity
// (PTS(cue) = MPEGTS + (cue time − LOCAL) · 90000), and it takes that initPTS from the earliest decode
// time of the first segment it loads: for MPEG-TS the smaller of the audio PES's PTS and the video PES's
// DTS, for fMP4 the smallest tfdt baseMediaDecodeTime over the tracks (in seconds, by each track's mdhd
// timescale). These functions read the same numbers, so a cue at content time t shows at content time t
// whatever the muxer's start offset (ffmpeg's MPEG-TS starts at 1.4 s, its fMP4 at 0).

const TS_PACKET = 188;
const SYNC = 0x47;

/**
 * The earliest timestamp of the first PES of each elementary stream in an MPEG-TS segment (its DTS when it
 * has one, else its PTS), 90 kHz; null when no PES with a timestamp starts in `bytes`. `bytes` may be the
 * start of the segment only: a stream whose first PES starts later is not seen.
 */
export function firstTsTimestamp(bytes: Uint8Array): number | null {
  const start = syncOffset(bytes);
  if (start < 0) return null;
  const seen = new Set<number>();
  let earliest: number | null = null;
  for (let p = start; p + TS_PACKET <= bytes.length; p += TS_PACKET) {
    if (bytes[p] !== SYNC) break; // lost sync: the rest cannot be trusted
    const pid = ((bytes[p + 1]! & 0x1f) << 8) | bytes[p + 2]!;
    const unitStart = (bytes[p + 1]! & 0x40) !== 0;
    if (!unitStart || pid === 0 || pid === 0x1fff || seen.has(pid)) continue;
    const control = (bytes[p + 3]! >> 4) & 0x3;
    if ((control & 0x1) === 0) continue; // no payload
    let at = p + 4;
    if (control & 0x2) at += 1 + bytes[at]!;
    const end = p + TS_PACKET;
    // A PES starts with 00 00 01; PSI sections (PAT, PMT …) do not.
    if (at + 9 > end || bytes[at] !== 0 || bytes[at + 1] !== 0 || bytes[at + 2] !== 1) continue;
    seen.add(pid);
    const flags = bytes[at + 7]! >> 6;
    if ((flags & 0x2) === 0 || at + 14 > end) continue;
    let t = timestamp(bytes, at + 9);
    if (flags === 0x3 && at + 19 <= end) t = Math.min(t, timestamp(bytes, at + 14));
    if (earliest === null || t < earliest) earliest = t;
  }
  return earliest;
}

/** The first offset from which packets keep their sync byte (a stream may be cut mid-packet). */
function syncOffset(bytes: Uint8Array): number {
  for (let i = 0; i < Math.min(TS_PACKET, bytes.length); i++) {
    if (bytes[i] !== SYNC) continue;
    let ok = true;
    for (let k = 1; k <= 2 && i + k * TS_PACKET < bytes.length; k++) if (bytes[i + k * TS_PACKET] !== SYNC) ok = false;
    if (ok) return i;
  }
  return -1;
}

/** A 33-bit PES timestamp (5 bytes with marker bits). */
function timestamp(b: Uint8Array, at: number): number {
  return (
    ((b[at]! >> 1) & 0x07) * 2 ** 30 + // bits 32..30
    ((b[at + 1]! << 7) | (b[at + 2]! >> 1)) * 2 ** 15 + // bits 29..15
    ((b[at + 3]! << 7) | (b[at + 4]! >> 1)) // bits 14..0
  );
}

// ---- fMP4 -----------------------------------------------------------------------------------------

interface Box {
  type: string;
  /** Offset of the box's content (after its header) and its end. */
  start: number;
  end: number;
}

function* boxes(b: Uint8Array, from: number, to: number): Generator<Box> {
  let at = from;
  while (at + 8 <= to) {
    let size = u32(b, at);
    const type = String.fromCharCode(b[at + 4]!, b[at + 5]!, b[at + 6]!, b[at + 7]!);
    let header = 8;
    if (size === 1) {
      if (at + 16 > to) return;
      size = u32(b, at + 8) * 2 ** 32 + u32(b, at + 12);
      header = 16;
    } else if (size === 0) size = to - at; // to the end
    if (size < header) return;
    // A box cut off by the end of what was read: its start may still be there (a moof is read from its head).
    yield { type, start: at + header, end: Math.min(at + size, to) };
    at += size;
  }
}

function child(b: Uint8Array, parent: Box, type: string): Box | undefined {
  for (const x of boxes(b, parent.start, parent.end)) if (x.type === type) return x;
  return undefined;
}

function u32(b: Uint8Array, at: number): number {
  return ((b[at]! << 24) >>> 0) + ((b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!);
}

/** Track id → timescale (mdhd) of each track of an fMP4 initialization segment; empty when there is no moov. */
export function fmp4Timescales(init: Uint8Array): Map<number, number> {
  const out = new Map<number, number>();
  for (const moov of boxes(init, 0, init.length)) {
    if (moov.type !== "moov") continue;
    for (const trak of boxes(init, moov.start, moov.end)) {
      if (trak.type !== "trak") continue;
      const tkhd = child(init, trak, "tkhd");
      const mdhd = (() => {
        const mdia = child(init, trak, "mdia");
        return mdia && child(init, mdia, "mdhd");
      })();
      if (!tkhd || !mdhd || tkhd.start + 24 > tkhd.end || mdhd.start + 24 > mdhd.end) continue;
      // Both: version (1 byte) and flags (3); then version 1 has 64-bit times, version 0 32-bit.
      const id = u32(init, tkhd.start + (init[tkhd.start] === 1 ? 20 : 12));
      const timescale = u32(init, mdhd.start + (init[mdhd.start] === 1 ? 20 : 12));
      if (timescale > 0) out.set(id, timescale);
    }
  }
  return out;
}

/**
 * The smallest tfdt baseMediaDecodeTime over the tracks of an fMP4 media segment's first moof, converted
 * to 90 kHz by each track's timescale; null when there is none (or no timescale for its track).
 */
export function firstFmp4Timestamp(segment: Uint8Array, timescales: Map<number, number>): number | null {
  for (const moof of boxes(segment, 0, segment.length)) {
    if (moof.type !== "moof") continue;
    let earliest: number | null = null;
    for (const traf of boxes(segment, moof.start, moof.end)) {
      if (traf.type !== "traf") continue;
      const tfhd = child(segment, traf, "tfhd");
      const tfdt = child(segment, traf, "tfdt");
      if (!tfhd || !tfdt || tfhd.start + 8 > tfhd.end || tfdt.start + 8 > tfdt.end) continue;
      const timescale = timescales.get(u32(segment, tfhd.start + 4));
      if (!timescale) continue;
      const v1 = segment[tfdt.start] === 1;
      if (v1 && tfdt.start + 12 > tfdt.end) continue;
      const decode = v1 ? u32(segment, tfdt.start + 4) * 2 ** 32 + u32(segment, tfdt.start + 8) : u32(segment, tfdt.start + 4);
      const t = Math.round((decode / timescale) * 90000);
      if (earliest === null || t < earliest) earliest = t;
    }
    return earliest;
  }
  return null;
}
