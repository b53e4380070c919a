// The subtitle media playlist of one language, for one viewer's ad plan. Pure: playlists in, text out.
//
// It goes through the same stitcher as the video variants (edge/hls/stitch.ts), fed with synthetic
// playlists: the content's segments (durations, discontinuities) with each URI replaced by the caption
// segment of that segment's content-time window, and each ad's segments pointing at an empty WebVTT. So
// the subtitle playlist has the video's segment boundaries, EXT-X-DISCONTINUITY and CUE-OUT/IN, the same
// discontinuity numbering (hls.js matches caption segments to media by it) and the same timeline, with
// nothing of the video's own (no EXT-X-MAP, EXT-X-KEY or byte ranges).

import { type AdInsertion, type MediaPlaylist, type Segment, type StitchResult, type UriStyle, stitch } from "../hls";

export interface SubtitleSources {
  /** The content's media playlist of the rendition whose timeline the subtitles follow (rendition 0). */
  content: MediaPlaylist;
  /**
   * Absolute URL of the caption segment for content time [fromMs, toMs); `clip` names the sides where an ad
   * break meets the window, whose cues are to be cut there (see Clip).
   */
  segmentUrl: (fromMs: number, toMs: number, clip: Clip | undefined) => string;
  /** Absolute URL of an empty WebVTT (ad segments). */
  emptyUrl: string;
  /** The plan's ads, each with its playlist for the same rendition as `content`. */
  ads: Array<{ id: string; at: number; playlist: MediaPlaylist }>;
  /** The target duration the video variants of this viewer share. */
  targetDuration?: number;
}

/**
 * A cue that runs across an ad break is in the caption segments on both sides, and hls.js maps each copy
 * by its own discontinuity: uncut, it would show over the start and the end of the ad. So the segment
 * just before a break cuts its cues' ends at its window's end, the one just after cuts their starts at its
 * window's start. Only there: a cue across an ordinary boundary must stay whole in both segments, so
 * hls.js sees one cue twice and keeps one.
 */
export type Clip = "start" | "end" | "both";

/** URIs in these playlists are absolute already: the stitcher leaves them as they are. */
const ABSOLUTE: UriStyle = { base: "", query: "" };

function synthetic(pl: MediaPlaylist, uri: (i: number, startMs: number, endMs: number) => string): MediaPlaylist {
  // One shared key array: the stitcher sees "no change of keys" and takes its fast path.
  const keys: Segment["keys"] = [];
  let t = 0;
  const segments = pl.segments.map((s, i): Segment => {
    const startMs = Math.round(t * 1000);
    t += s.duration;
    return { duration: s.duration, uri: uri(i, startMs, Math.round(t * 1000)), seq: s.seq, discontinuity: s.discontinuity, keys, map: null, tags: [], head: `#EXTINF:${s.duration},\n` };
  });
  return {
    version: 3,
    targetDuration: pl.targetDuration,
    mediaSequence: pl.mediaSequence,
    discontinuitySequence: pl.discontinuitySequence,
    playlistType: pl.playlistType,
    endList: pl.endList,
    independentSegments: false,
    iFramesOnly: false,
    headerTags: [],
    segments,
    duration: pl.duration,
    maxSegmentDuration: pl.maxSegmentDuration,
    usesMap: false,
    usesByteRange: false,
    usesKeys: false,
    droppedCueTags: 0,
  };
}

export function subtitlePlaylist(src: SubtitleSources): StitchResult {
  const ads: AdInsertion[] = src.ads.map((a) => ({ id: a.id, at: a.at, playlist: synthetic(a.playlist, () => src.emptyUrl), style: ABSOLUTE }));
  // Where the stitcher puts the breaks (a first pass, URIs aside), so the segments around them can cut their cues.
  const probe = stitch({ content: synthetic(src.content, () => src.emptyUrl), contentStyle: ABSOLUTE, ads, targetDuration: src.targetDuration });
  const before = new Set(probe.placed.map((p) => p.beforeSegment));
  const clipOf = (i: number): Clip | undefined => {
    const start = i > 0 && before.has(i);
    const end = before.has(i + 1);
    return start && end ? "both" : start ? "start" : end ? "end" : undefined;
  };
  const content = synthetic(src.content, (i, from, to) => src.segmentUrl(from, to, clipOf(i)));
  return stitch({ content, contentStyle: ABSOLUTE, ads, targetDuration: src.targetDuration });
}

/** The cues of a caption segment with the sides `clip` names cut to the window [from, to). */
export function clipCues<C extends { start: number; end: number }>(cues: readonly C[], from: number, to: number, clip: Clip | undefined): C[] {
  if (!clip) return [...cues];
  const start = clip !== "end";
  const end = clip !== "start";
  return cues.map((c) => ({ ...c, start: start ? Math.max(c.start, from) : c.start, end: end ? Math.min(c.end, to) : c.end }));
}

/** `from`/`to` of a caption segment URL: seconds with millisecond precision. */
export const secondsParam = (ms: number) => (ms / 1000).toFixed(3);
