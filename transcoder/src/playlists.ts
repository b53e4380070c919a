// The playlists ffmpeg wrote, checked before anything is uploaded, and the master we publish in place
// of ffmpeg's. Parsing and serializing are the edge's (edge/hls/m3u8.ts: pure, no Workers APIs), so
// both sides read playlists the same way; what stays here is only what the transcoder asks of its output.
import type { Rendition } from "../../schema/jobs";
import { type MediaPlaylist, PlaylistError, type Variant, parseMasterPlaylist, parseMediaPlaylist, serializeMaster } from "../../edge/hls/m3u8";

/**
 * A rendition's media playlist, refused (PlaylistError) unless it is one the edge can serve: a target
 * duration that every segment keeps to. Segment URIs come back resolved against `playlistPath`
 * (relative to the output directory), e.g. `360p/seg_00000.ts`.
 */
export function readMediaPlaylist(text: string, playlistPath: string): MediaPlaylist {
  const pl = parseMediaPlaylist(text, playlistPath);
  if (pl.targetDuration <= 0) throw new PlaylistError("no #EXT-X-TARGETDURATION");
  for (const s of pl.segments) {
    // The spec: each EXTINF, rounded to the nearest integer, must not exceed the target duration.
    if (Math.round(s.duration) > pl.targetDuration) throw new PlaylistError(`segment ${s.uri} is longer than the target duration`);
  }
  return pl;
}

/** The variants of a master playlist, refused unless there is at least one, each with a bandwidth. */
export function readMasterPlaylist(text: string): Variant[] {
  const { variants } = parseMasterPlaylist(text);
  if (variants.length === 0) throw new PlaylistError("no variant streams");
  for (const v of variants) if (!(v.bandwidth > 0)) throw new PlaylistError(`variant ${v.uri} has no BANDWIDTH`);
  return variants;
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
  return serializeMaster({
    // 7: fMP4 media playlists (EXT-X-MAP without I-frames only) need it.
    version: renditions.some((r) => r.container === "fmp4") ? 7 : 6,
    independentSegments: true,
    variants: [...renditions]
      .sort((a, b) => b.height - a.height || b.bandwidth - a.bandwidth)
      .map((r) => ({
        uri: r.playlist,
        bandwidth: r.bandwidth,
        averageBandwidth: r.averageBandwidth || undefined,
        width: r.width,
        height: r.height,
        codecs: r.codecs,
        frameRate: frameRate && frameRate > 0 ? frameRate : undefined,
      })),
  });
}
