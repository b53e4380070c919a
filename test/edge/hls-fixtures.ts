// Playlist texts for the HLS unit tests and checks of the spec rules on a stitched output, done on the
// raw lines (not with our own parser, so a parser bug cannot hide a serializer bug).

export interface VodOptions {
  durations: number[];
  /** Segment URI for index i. */
  uri?: (i: number) => string;
  version?: number;
  targetDuration?: number;
  mediaSequence?: number;
  /** Lines inserted before segment i (after its EXTINF is NOT possible: these come first). */
  before?: Record<number, string[]>;
  header?: string[];
  endList?: boolean;
}

export function vod(o: VodOptions): string {
  const td = o.targetDuration ?? Math.max(...o.durations.map((d) => Math.round(d)));
  const lines = ["#EXTM3U", `#EXT-X-VERSION:${o.version ?? 3}`, `#EXT-X-TARGETDURATION:${td}`, `#EXT-X-MEDIA-SEQUENCE:${o.mediaSequence ?? 0}`, "#EXT-X-PLAYLIST-TYPE:VOD"];
  lines.push(...(o.header ?? []));
  o.durations.forEach((d, i) => {
    lines.push(...(o.before?.[i] ?? []));
    lines.push(`#EXTINF:${d.toFixed(6)},`, o.uri ? o.uri(i) : `seg_${String(i).padStart(5, "0")}.ts`);
  });
  if (o.endList !== false) lines.push("#EXT-X-ENDLIST");
  return lines.join("\n") + "\n";
}

export interface OutSegment {
  uri: string;
  duration: number;
  /** Tags between the previous URI and this one. */
  tags: string[];
}

export interface Lines {
  header: string[];
  segments: OutSegment[];
  trailer: string[];
}

/** Splits a media playlist text into header lines, segments (with their preceding tags) and trailing tags. */
export function lines(text: string): Lines {
  const all = text.split("\n").filter((l) => l !== "");
  const header: string[] = [];
  const segments: OutSegment[] = [];
  let pending: string[] = [];
  let seenSegmentTag = false;
  for (const l of all) {
    if (!l.startsWith("#")) {
      const inf = pending.find((t) => t.startsWith("#EXTINF:"));
      segments.push({ uri: l, duration: Number(inf!.slice(8).split(",")[0]), tags: pending });
      pending = [];
      continue;
    }
    const isHeader = /^#(EXTM3U|EXT-X-VERSION|EXT-X-TARGETDURATION|EXT-X-MEDIA-SEQUENCE|EXT-X-DISCONTINUITY-SEQUENCE|EXT-X-PLAYLIST-TYPE|EXT-X-INDEPENDENT-SEGMENTS|EXT-X-START)\b/.test(l);
    if (isHeader && !seenSegmentTag && segments.length === 0) header.push(l);
    else {
      seenSegmentTag = true;
      pending.push(l);
    }
  }
  return { header, segments, trailer: pending };
}

export function headerValue(ls: Lines, tag: string): string | undefined {
  return ls.header.find((h) => h.startsWith(tag + ":"))?.slice(tag.length + 1);
}

export function count(text: string, tag: string): number {
  return text.split("\n").filter((l) => l === tag || l.startsWith(tag + ":")).length;
}

/** RFC 8216 rules every output must keep; returns the problems found. */
export function specProblems(text: string): string[] {
  const problems: string[] = [];
  const ls = lines(text);
  if (ls.header[0] !== "#EXTM3U") problems.push("first line is not #EXTM3U");
  const td = Number(headerValue(ls, "#EXT-X-TARGETDURATION"));
  const version = Number(headerValue(ls, "#EXT-X-VERSION"));
  if (!Number.isInteger(td)) problems.push("no EXT-X-TARGETDURATION");
  for (const [i, s] of ls.segments.entries()) {
    if (Math.round(s.duration) > td) problems.push(`segment ${i} (${s.duration}s) exceeds target duration ${td}`);
    if (!/^https?:\/\//.test(s.uri)) problems.push(`segment ${i} URI is not absolute: ${s.uri}`);
    if (s.tags.filter((t) => t === "#EXT-X-DISCONTINUITY").length > 1) problems.push(`segment ${i} has two DISCONTINUITY tags`);
  }
  const body = [...ls.segments.flatMap((s) => s.tags), ...ls.trailer];
  if (body.some((t) => t.startsWith("#EXT-X-BYTERANGE")) && version < 4) problems.push("BYTERANGE needs version 4");
  if (body.some((t) => t.startsWith("#EXT-X-MAP")) && version < 6) problems.push("EXT-X-MAP needs version 6");
  if (body.some((t) => t.startsWith("#EXT-X-KEY") && /,IV=/.test(t)) && version < 2) problems.push("IV needs version 2");
  if (body.some((t) => t.startsWith("#EXT-X-KEY") && /KEYFORMAT/.test(t)) && version < 5) problems.push("KEYFORMAT needs version 5");
  if (body.some((t) => /^#EXTINF:\d+\.\d/.test(t)) && version < 3) problems.push("decimal EXTINF needs version 3");
  for (const t of body) {
    for (const m of t.matchAll(/URI="([^"]*)"/g)) if (!/^https?:\/\//.test(m[1]!)) problems.push(`tag URI not absolute: ${t}`);
  }
  const outs = count(text, "#EXT-X-CUE-OUT");
  const ins = count(text, "#EXT-X-CUE-IN");
  if (ins > outs || outs - ins > 1) problems.push(`unbalanced cue tags: ${outs} CUE-OUT, ${ins} CUE-IN`);
  if (ls.trailer.some((t) => t !== "#EXT-X-ENDLIST")) problems.push(`tags after the last segment: ${ls.trailer.join(" ")}`);
  return problems;
}
