// Caption files: WebVTT or SRT bytes in, validated cues and a normalised WebVTT out; and the WebVTT of one
// HLS caption segment. Pure: no I/O, no Workers APIs.
//
// Hand-written rather than a library: the npm parsers for these formats either need Node streams or the
// DOM (VTTCue), or accept anything and drop what they cannot read, while an upload here must be refused
// with the line that is wrong. Both formats are small: a header (WebVTT), then blocks separated by blank
// lines, each a cue (optional identifier or number, a timing line, text) or, in WebVTT, a NOTE, STYLE or
// REGION block (dropped: the cues carry what is played).
//
// What is accepted:
// - UTF-8 (a BOM is allowed), LF, CRLF or CR line ends; no NUL or other control characters but tab.
// - WebVTT: `WEBVTT` first; timings `[HH:]MM:SS.mmm --> [HH:]MM:SS.mmm [settings]`.
// - SRT: blocks of an optional number, `HH:MM:SS,mmm --> HH:MM:SS,mmm` (a `.` is tolerated), text. Its text
//   becomes WebVTT: <i>, <b>, <u> kept, <font …> and {\an8}-style tags dropped, `&` and `<` escaped.
// - Every cue ends at or after its start and within 24 hours; at least one cue.
// Times are integer milliseconds, so a cue window [from, to) is compared exactly.

export interface Cue {
  /** Milliseconds from the start of the content. */
  start: number;
  end: number;
  /** WebVTT cue identifier (WebVTT sources only; SRT numbers are sequence numbers and are dropped). */
  id?: string;
  /** WebVTT cue settings as written (position, line, align …), or "". */
  settings: string;
  /** WebVTT cue text (lines joined by "\n"). */
  text: string;
}

export interface Captions {
  format: "vtt" | "srt";
  /** By start time (stable for equal starts). */
  cues: Cue[];
}

export type Parsed = { ok: true; captions: Captions } | { ok: false; reason: string };

export const MAX_CUE_MS = 24 * 3600 * 1000;

const fail = (reason: string): Parsed => ({ ok: false, reason });

export function parseCaptions(bytes: Uint8Array): Parsed {
  if (bytes.length === 0) return fail("the file is empty");
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
    return fail("the file is UTF-16 (it starts with a UTF-16 byte order mark); save it as UTF-8");
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    const at = firstInvalidUtf8(bytes);
    return fail(`line ${lineAtByte(bytes, at)}: not UTF-8 (byte 0x${bytes[at]!.toString(16).padStart(2, "0")} at offset ${at})`);
  }
  const lines = text.replace(/\r\n?/g, "\n").split("\n");
  for (let i = 0; i < lines.length; i++) {
    const bad = /[\u0000-\u0008\u000b-\u001f\u007f]/.exec(lines[i]!);
    if (bad) {
      const code = bad[0].charCodeAt(0);
      return fail(code === 0 ? `line ${i + 1}: a NUL byte (this is a binary file, not captions)` : `line ${i + 1}: binary data (control character U+${code.toString(16).padStart(4, "0").toUpperCase()})`);
    }
  }
  if (lines.every((l) => l.trim() === "")) return fail("the file is empty");
  const vtt = /^WEBVTT(?:[ \t].*)?$/.test(lines[0]!);
  const parsed = vtt ? parseVtt(lines) : parseSrt(lines);
  if (!parsed.ok) return parsed;
  if (parsed.captions.cues.length === 0) return fail("no cues");
  // Stable: cues that start together keep their order.
  parsed.captions.cues.sort((a, b) => a.start - b.start);
  return parsed;
}

/** Blocks of non-blank lines, each line with its 1-based number. */
function blocks(lines: string[], from: number): Array<Array<{ n: number; s: string }>> {
  const out: Array<Array<{ n: number; s: string }>> = [];
  let cur: Array<{ n: number; s: string }> = [];
  for (let i = from; i < lines.length; i++) {
    const s = lines[i]!;
    if (s.trim() === "") {
      if (cur.length) out.push(cur);
      cur = [];
    } else cur.push({ n: i + 1, s });
  }
  if (cur.length) out.push(cur);
  return out;
}

const VTT_TIME = String.raw`((?:\d{2,}:)?\d{2}:\d{2}\.\d{3})`;
const VTT_TIMING = new RegExp(String.raw`^${VTT_TIME}[ \t]+-->[ \t]+${VTT_TIME}(?:[ \t]+(.*))?$`);
const SRT_TIME = String.raw`(\d{1,3}:\d{2}:\d{2}[,.]\d{3})`;
const SRT_TIMING = new RegExp(String.raw`^[ \t]*${SRT_TIME}[ \t]*-->[ \t]*${SRT_TIME}(?:[ \t]+.*)?$`);

/** "HH:MM:SS.mmm" (or "MM:SS.mmm", or with a comma) → ms; null when a field is out of range. */
function millis(t: string): number | null {
  const parts = t.replace(",", ".").split(":");
  const [sec, ms] = parts.pop()!.split(".");
  const min = Number(parts.pop());
  const hours = parts.length ? Number(parts.pop()) : 0;
  if (min > 59 || Number(sec) > 59) return null;
  return ((hours * 60 + min) * 60 + Number(sec)) * 1000 + Number(ms);
}

export function formatTime(ms: number): string {
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor(ms / 60_000) % 60;
  const s = Math.floor(ms / 1000) % 60;
  const pad = (n: number, w = 2) => String(n).padStart(w, "0");
  return `${pad(h)}:${pad(m)}:${pad(s)}.${pad(ms % 1000, 3)}`;
}

/** The cue's times from a timing line already matched, or why they cannot be used. */
function cueTimes(n: number, line: string, a: string, b: string, expected: string): { start: number; end: number } | string {
  const start = millis(a);
  const end = millis(b);
  if (start === null || end === null) return `line ${n}: cue timing "${line.trim()}" is not ${expected} (minutes and seconds go to 59)`;
  for (const t of [start, end]) if (t > MAX_CUE_MS) return `line ${n}: cue time ${formatTime(t)} is past 24 h`;
  if (end < start) return `line ${n}: cue ends (${formatTime(end)}) before it starts (${formatTime(start)})`;
  return { start, end };
}

const VTT_EXPECTED = "HH:MM:SS.mmm --> HH:MM:SS.mmm";

function parseVtt(lines: string[]): Parsed {
  // The header runs to the first blank line; what it says (other than WEBVTT) is not kept.
  let body = lines.findIndex((l) => l.trim() === "");
  if (body < 0) body = lines.length;
  for (let i = 1; i < body; i++) {
    if (lines[i]!.includes("-->")) return fail(`line ${i + 1}: a cue timing inside the header (put a blank line after the WEBVTT line)`);
  }
  const cues: Cue[] = [];
  for (const block of blocks(lines, body)) {
    const first = block[0]!;
    if (/^(?:NOTE|STYLE|REGION)(?:[ \t]|$)/.test(first.s) && !first.s.includes("-->")) continue;
    const hasId = !first.s.includes("-->");
    const timing = hasId ? block[1] : first;
    if (!timing || !timing.s.includes("-->")) {
      const what = timing ?? first;
      return fail(`line ${what.n}: "${clip(what.s)}" is not a cue timing (${VTT_EXPECTED}); cues are separated by blank lines`);
    }
    const m = VTT_TIMING.exec(timing.s.trim());
    if (!m) return fail(`line ${timing.n}: cue timing "${clip(timing.s.trim())}" is not ${VTT_EXPECTED}`);
    const times = cueTimes(timing.n, timing.s, m[1]!, m[2]!, VTT_EXPECTED);
    if (typeof times === "string") return fail(times);
    const payload = block.slice(hasId ? 2 : 1);
    const arrow = payload.find((l) => l.s.includes("-->"));
    if (arrow) return fail(`line ${arrow.n}: "-->" in cue text (is a blank line missing before this cue?)`);
    cues.push({ ...times, ...(hasId ? { id: first.s.trim() } : {}), settings: (m[3] ?? "").trim().replace(/[ \t]+/g, " "), text: payload.map((l) => l.s).join("\n") });
  }
  return { ok: true, captions: { format: "vtt", cues } };
}

const SRT_EXPECTED = "HH:MM:SS,mmm --> HH:MM:SS,mmm";

function parseSrt(lines: string[]): Parsed {
  if (lines[0]!.startsWith("\uFEFF")) lines[0] = lines[0]!.slice(1);
  const cues: Cue[] = [];
  for (const block of blocks(lines, 0)) {
    const first = block[0]!;
    const numbered = /^[ \t]*\d+[ \t]*$/.test(first.s);
    const timing = numbered ? block[1] : first;
    if (!timing || !timing.s.includes("-->")) {
      const what = timing ?? first;
      return numbered
        ? fail(`line ${what.n}: expected a cue timing (${SRT_EXPECTED}) after cue number ${first.s.trim()}`)
        : fail(`line ${first.n}: expected a cue number or timing, got "${clip(first.s)}" (cues are separated by one blank line; text may not contain blank lines)`);
    }
    const m = SRT_TIMING.exec(timing.s);
    if (!m) return fail(`line ${timing.n}: cue timing "${clip(timing.s.trim())}" is not ${SRT_EXPECTED}`);
    const times = cueTimes(timing.n, timing.s, m[1]!, m[2]!, SRT_EXPECTED);
    if (typeof times === "string") return fail(times);
    const payload = block.slice(numbered ? 2 : 1);
    const arrow = payload.find((l) => l.s.includes("-->"));
    if (arrow) return fail(`line ${arrow.n}: "-->" in cue text (is a blank line missing before this cue?)`);
    cues.push({ ...times, settings: "", text: payload.map((l) => srtTextToVtt(l.s.trim())).join("\n") });
  }
  return { ok: true, captions: { format: "srt", cues } };
}

/** SRT's HTML-ish markup → WebVTT's: the tags WebVTT knows kept, the others dropped, the rest escaped. */
export function srtTextToVtt(s: string): string {
  return s
    .replace(/\{\\[^}]*\}/g, "") // {\an8}, {\i1}: ASS overrides some SRT writers leave in
    .replace(/<\/?font\b[^>]*>/gi, "")
    .replace(/&(?!(?:amp|lt|gt|lrm|rlm|nbsp|#\d+|#x[0-9a-f]+);)/gi, "&amp;")
    .replace(/<(?!\/?[ibu]>)/gi, "&lt;")
    .replace(/<(\/?)([IBU])>/g, (_, slash: string, tag: string) => `<${slash}${tag.toLowerCase()}>`);
}

const clip = (s: string) => (s.length > 60 ? `${s.slice(0, 57)}...` : s);

/** Byte offset of the first byte that breaks UTF-8 (the decoder already said one does). */
function firstInvalidUtf8(b: Uint8Array): number {
  for (let i = 0; i < b.length; ) {
    const c = b[i]!;
    const n = c < 0x80 ? 0 : c >= 0xc2 && c <= 0xdf ? 1 : c >= 0xe0 && c <= 0xef ? 2 : c >= 0xf0 && c <= 0xf4 ? 3 : -1;
    if (n < 0) return i;
    for (let k = 1; k <= n; k++) {
      const x = b[i + k];
      if (x === undefined || (x & 0xc0) !== 0x80) return i;
    }
    // Overlong forms, surrogates and code points past U+10FFFF.
    if ((c === 0xe0 && b[i + 1]! < 0xa0) || (c === 0xed && b[i + 1]! > 0x9f) || (c === 0xf0 && b[i + 1]! < 0x90) || (c === 0xf4 && b[i + 1]! > 0x8f)) return i;
    i += n + 1;
  }
  return Math.max(0, b.length - 1);
}

function lineAtByte(b: Uint8Array, at: number): number {
  let line = 1;
  for (let i = 0; i < at; i++) if (b[i] === 0x0a || (b[i] === 0x0d && b[i + 1] !== 0x0a)) line++;
  return line;
}

// ---- writing --------------------------------------------------------------------------------------

function cueText(c: Cue, withId: boolean): string {
  return `${withId && c.id ? `${c.id}\n` : ""}${formatTime(c.start)} --> ${formatTime(c.end)}${c.settings ? ` ${c.settings}` : ""}\n${c.text}\n`;
}

/** The normalised WebVTT that is stored: the header, then every cue (identifiers kept). */
export function toVtt(captions: Captions): string {
  return `WEBVTT\n\n${captions.cues.map((c) => cueText(c, true)).join("\n")}`;
}

/** An ad break's caption segment: a valid WebVTT file without cues. */
export const EMPTY_VTT = "WEBVTT\n\n";

/**
 * One HLS caption segment: the cues given, at their content times, mapped onto the media timeline by
 * X-TIMESTAMP-MAP (`mpegts`: the content's first timestamp at 90 kHz, LOCAL 0). Identifiers are left out:
 * a cue spanning two segments is in both, and hls.js keeps one copy of cues with the same times and text,
 * while a repeated identifier from a careless file would make it drop a different cue.
 */
export function segmentVtt(cues: readonly Cue[], mpegts: number): string {
  return `WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:${mpegts},LOCAL:00:00:00.000\n\n${cues.map((c) => cueText(c, false)).join("\n")}`;
}

// ---- windows --------------------------------------------------------------------------------------

/** Cues sorted by start, indexed so a window's cues are found without scanning the whole file. */
export class CueIndex {
  /** maxEnd[i]: the latest end among cues[0..i] (nondecreasing, so it can be searched). */
  private readonly maxEnd: Float64Array;

  constructor(readonly cues: readonly Cue[]) {
    this.maxEnd = new Float64Array(cues.length);
    let m = -Infinity;
    cues.forEach((c, i) => (this.maxEnd[i] = m = Math.max(m, c.end)));
  }

  /** The cues that overlap [from, to) ms: start < to and end > from (a cue of no length at `from` counts), in order. */
  window(from: number, to: number): Cue[] {
    const { cues, maxEnd } = this;
    // First cue whose running max end reaches past `from`: none before it can overlap.
    let lo = 0;
    let hi = cues.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (maxEnd[mid]! >= from) hi = mid;
      else lo = mid + 1;
    }
    const out: Cue[] = [];
    for (let i = lo; i < cues.length && cues[i]!.start < to; i++) {
      const c = cues[i]!;
      if (c.end > from || (c.start === from && c.end === from)) out.push(c);
    }
    return out;
  }
}
