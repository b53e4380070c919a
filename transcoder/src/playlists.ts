// Reading the playlists ffmpeg wrote and writing the master we publish. Pure (strings in, strings out).
import type { Rendition } from "../../schema/jobs";

export interface MediaSegment {
  uri: string;
  duration: number;
}

export interface MediaPlaylist {
  version?: number;
  targetDuration: number;
  playlistType?: string;
  ended: boolean;
  segments: MediaSegment[];
}

export class PlaylistError extends Error {
  override name = "PlaylistError";
}

function lines(text: string): string[] {
  return text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l.length > 0);
}

/** Parses a media playlist; throws PlaylistError when it is not a complete one. */
export function parseMediaPlaylist(text: string): MediaPlaylist {
  const ls = lines(text);
  if (ls[0] !== "#EXTM3U") throw new PlaylistError("not a playlist: no #EXTM3U");
  const pl: MediaPlaylist = { targetDuration: NaN, ended: false, segments: [] };
  let pending: number | null = null;
  for (const l of ls.slice(1)) {
    if (l.startsWith("#EXT-X-TARGETDURATION:")) pl.targetDuration = Number(l.slice(22));
    else if (l.startsWith("#EXT-X-VERSION:")) pl.version = Number(l.slice(15));
    else if (l.startsWith("#EXT-X-PLAYLIST-TYPE:")) pl.playlistType = l.slice(21);
    else if (l === "#EXT-X-ENDLIST") pl.ended = true;
    else if (l.startsWith("#EXTINF:")) {
      const d = Number(l.slice(8).split(",")[0]);
      if (!Number.isFinite(d) || d < 0) throw new PlaylistError(`bad #EXTINF: ${l}`);
      pending = d;
    } else if (l.startsWith("#EXT-X-STREAM-INF")) {
      throw new PlaylistError("a master playlist, not a media playlist");
    } else if (!l.startsWith("#")) {
      if (pending === null) throw new PlaylistError(`segment ${l} has no #EXTINF`);
      pl.segments.push({ uri: l, duration: pending });
      pending = null;
    }
  }
  if (!Number.isFinite(pl.targetDuration)) throw new PlaylistError("no #EXT-X-TARGETDURATION");
  if (pl.segments.length === 0) throw new PlaylistError("no segments");
  for (const s of pl.segments) {
    // The spec: each EXTINF, rounded to the nearest integer, must not exceed the target duration.
    if (Math.round(s.duration) > pl.targetDuration) throw new PlaylistError(`segment ${s.uri} is longer than the target duration`);
  }
  return pl;
}

export interface VariantStream {
  uri: string;
  bandwidth: number;
  averageBandwidth?: number;
  width?: number;
  height?: number;
  codecs?: string;
  frameRate?: number;
}

/** Attribute lists: KEY=value or KEY="quoted, value", comma-separated. */
export function parseAttributes(list: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /([A-Z0-9-]+)=("[^"]*"|[^,]*)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(list))) out[m[1]!] = m[2]!.startsWith('"') ? m[2]!.slice(1, -1) : m[2]!;
  return out;
}

export function parseMasterPlaylist(text: string): VariantStream[] {
  const ls = lines(text);
  if (ls[0] !== "#EXTM3U") throw new PlaylistError("not a playlist: no #EXTM3U");
  const out: VariantStream[] = [];
  let attrs: Record<string, string> | null = null;
  for (const l of ls.slice(1)) {
    if (l.startsWith("#EXT-X-STREAM-INF:")) attrs = parseAttributes(l.slice(18));
    else if (l.startsWith("#EXTINF")) throw new PlaylistError("a media playlist, not a master playlist");
    else if (!l.startsWith("#") && attrs) {
      const bandwidth = Number(attrs.BANDWIDTH);
      if (!Number.isInteger(bandwidth) || bandwidth <= 0) throw new PlaylistError(`variant ${l} has no BANDWIDTH`);
      const [w, h] = (attrs.RESOLUTION ?? "").split("x").map(Number);
      out.push({
        uri: l,
        bandwidth,
        averageBandwidth: attrs["AVERAGE-BANDWIDTH"] ? Number(attrs["AVERAGE-BANDWIDTH"]) : undefined,
        width: w || undefined,
        height: h || undefined,
        codecs: attrs.CODECS,
        frameRate: attrs["FRAME-RATE"] ? Number(attrs["FRAME-RATE"]) : undefined,
      });
      attrs = null;
    }
  }
  if (out.length === 0) throw new PlaylistError("no variant streams");
  return out;
}

/**
 * Peak and average bit rate of a rendition from its segments' sizes, as the HLS spec defines
 * BANDWIDTH (the peak segment bit rate) and AVERAGE-BANDWIDTH.
 */
export function measureBandwidth(segments: { duration: number; bytes: number }[]): { peak: number; average: number } {
  let peak = 0;
  let bytes = 0;
  let seconds = 0;
  for (const s of segments) {
    bytes += s.bytes;
    seconds += s.duration;
    // A last sliver of a segment would overstate the peak: rate it over at least one second.
    if (s.duration > 0) peak = Math.max(peak, (s.bytes * 8) / Math.max(s.duration, 1));
  }
  const average = seconds > 0 ? (bytes * 8) / seconds : 0;
  return { peak: Math.max(1, Math.ceil(peak)), average: Math.max(1, Math.ceil(average)) };
}

/** The master playlist we publish: measured bandwidths, ffmpeg's codecs, largest rendition first. */
export function writeMasterPlaylist(renditions: Rendition[], frameRate?: number): string {
  const out = ["#EXTM3U", "#EXT-X-VERSION:6", "#EXT-X-INDEPENDENT-SEGMENTS"];
  for (const r of [...renditions].sort((a, b) => b.height - a.height || b.bandwidth - a.bandwidth)) {
    const attrs = [`BANDWIDTH=${r.bandwidth}`];
    if (r.averageBandwidth) attrs.push(`AVERAGE-BANDWIDTH=${r.averageBandwidth}`);
    attrs.push(`RESOLUTION=${r.width}x${r.height}`, `CODECS="${r.codecs}"`);
    if (frameRate && frameRate > 0) attrs.push(`FRAME-RATE=${frameRate.toFixed(3)}`);
    out.push(`#EXT-X-STREAM-INF:${attrs.join(",")}`, r.playlist);
  }
  return out.join("\n") + "\n";
}
