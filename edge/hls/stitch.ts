// The stitcher: one content media playlist + the ads of a plan → one stitched media playlist.
// Pure: playlists in, text out. The route decides what to stitch; this decides how, by RFC 8216:
//
// - ads go in at segment boundaries (the boundary nearest to the planned time);
// - EXT-X-DISCONTINUITY before each ad and before the content resumes (a pre-roll has nothing before it,
//   a post-roll nothing after it);
// - EXT-X-TARGETDURATION covers every segment's rounded duration and is the one the caller computed over
//   every variant of the viewer (raised, never lowered, if this playlist needs more);
// - EXT-X-VERSION as high as the tags in the output require;
// - fMP4: EXT-X-MAP of the ad before its segments, and the content's MAP again when it resumes;
// - keys: the content's EXT-X-KEY state is restored after an ad, METHOD=NONE covers clear ad segments, and a
//   segment whose IV was implicit (its media sequence number) gets it explicitly once insertion renumbered it;
// - EXT-X-CUE-OUT:DURATION=… / EXT-X-CUE-IN around each break; the sources' own cue tags were dropped at parse;
// - a pod (several ads planned at exactly the same time) plays in input order in one break: one CUE-OUT
//   with the pod's whole duration, a discontinuity between its ads.

import { POST_ROLL } from "./ad-breaks";
import { type KeyTag, type MapTag, type MediaPlaylist, type Segment, type UriStyle, renderKeys, renderMap, renderUri, sequenceIv } from "./m3u8";

export interface AdInsertion {
  /** Identifies the ad in the result (an ad id). */
  id: string;
  /** Seconds from the start of the content, or POST_ROLL. */
  at: number;
  playlist: MediaPlaylist;
  style: UriStyle;
  /**
   * Query parameters (`name=value&…`) for the URI of the ad's segment i, after the style's query: what
   * tells this playback of the ad from every other (its impression token on the first segment, the ad
   * server's beacons); "" for none. Never added to an absolute URI (another host's).
   */
  segmentQuery?: (i: number) => string;
}

export interface StitchInput {
  content: MediaPlaylist;
  contentStyle: UriStyle;
  ads?: AdInsertion[];
  /** The target duration shared by every variant of one viewer (see commonTargetDuration). */
  targetDuration?: number;
}

export interface PlacedBreak {
  id: string;
  /** Where the ad went in the content's timeline, seconds (a segment boundary). */
  at: number;
  /** Index of the content segment it precedes (= content segment count for a post-roll). */
  beforeSegment: number;
  position: "pre" | "mid" | "post";
  duration: number;
  segments: number;
}

export interface SkippedBreak {
  id: string;
  at: number;
  reason: string;
}

export interface StitchResult {
  text: string;
  targetDuration: number;
  version: number;
  placed: PlacedBreak[];
  skipped: SkippedBreak[];
  /** EXT-X-DISCONTINUITY tags in the output (the content's own included). */
  discontinuities: number;
  segments: number;
  /** Seconds of media in the output. */
  duration: number;
}

export class StitchError extends Error {}

/** Why an ad cannot go into this content at all, or null. */
export function incompatibility(content: MediaPlaylist, ad: MediaPlaylist): string | null {
  // A MAP applies to every following segment until the next MAP and cannot be switched off, so MPEG-TS and
  // fMP4 segments cannot alternate in one playlist.
  if (content.usesMap !== ad.usesMap) {
    return `container mismatch: content is ${content.usesMap ? "fMP4" : "MPEG-TS"}, ad is ${ad.usesMap ? "fMP4" : "MPEG-TS"}`;
  }
  if (ad.iFramesOnly) return "the ad playlist is I-frames only";
  return null;
}

/** The smallest EXT-X-TARGETDURATION valid for all these playlists (each segment's duration, rounded, fits). */
export function commonTargetDuration(playlists: Iterable<MediaPlaylist>): number {
  let td = 1;
  for (const p of playlists) td = Math.max(td, p.targetDuration, Math.round(p.maxSegmentDuration));
  return td;
}

const segmentStarts = new WeakMap<MediaPlaylist, Float64Array>();

/** starts[i] = start of segment i in seconds; starts[n] = the total duration. Cached per (immutable) playlist. */
function startsOf(pl: MediaPlaylist): Float64Array {
  let starts = segmentStarts.get(pl);
  if (!starts) {
    starts = new Float64Array(pl.segments.length + 1);
    let t = 0;
    for (let i = 0; i < pl.segments.length; i++) {
      starts[i] = t;
      t += pl.segments[i]!.duration;
    }
    starts[pl.segments.length] = t;
    segmentStarts.set(pl, starts);
  }
  return starts;
}

/** Index of the boundary nearest to `t` (ties go to the earlier one). */
function nearestBoundary(starts: Float64Array, t: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (starts[mid]! < t) lo = mid + 1;
    else hi = mid;
  }
  // starts[lo] is the first boundary ≥ t.
  if (lo > 0 && t - starts[lo - 1]! <= starts[lo]! - t) return lo - 1;
  return lo;
}

/** A segment's URI as rendered, with `params` added to its query (an absolute source URI is left alone: its query is not ours). */
function segmentUri(seg: Segment, style: UriStyle, params: string): string {
  const uri = renderUri(seg.uri, style);
  if (!params || seg.uri.includes(":")) return uri;
  return uri + (uri.includes("?") ? "&" : "?") + params;
}

/** How far past the end a planned break may be and still count as "at the end" (duration rounding). */
const END_TOLERANCE = 0.5;

export function stitch(input: StitchInput): StitchResult {
  const { content, contentStyle } = input;
  if (content.iFramesOnly) throw new StitchError("cannot stitch ads into an I-frames-only playlist");
  const n = content.segments.length;
  const starts = startsOf(content);
  const total = starts[n]!;

  // Where each ad goes: a content segment index, in plan order, one ad per boundary.
  const placed: PlacedBreak[] = [];
  const skipped: SkippedBreak[] = [];
  const at = new Map<number, AdInsertion[]>();
  for (const ad of input.ads ?? []) {
    const why = incompatibility(content, ad.playlist);
    if (why) {
      skipped.push({ id: ad.id, at: ad.at, reason: why });
      continue;
    }
    let index: number;
    if (ad.at === POST_ROLL) index = n;
    else if (ad.at < 0 || !Number.isFinite(ad.at)) {
      skipped.push({ id: ad.id, at: ad.at, reason: "invalid position" });
      continue;
    } else if (ad.at > total + END_TOLERANCE) {
      skipped.push({ id: ad.id, at: ad.at, reason: `the content is shorter (${total.toFixed(3)} s)` });
      continue;
    } else index = nearestBoundary(starts, ad.at);
    const there = at.get(index);
    if (there && there[0]!.at !== ad.at) {
      skipped.push({ id: ad.id, at: ad.at, reason: `another ad already sits at ${starts[index]!.toFixed(3)} s` });
      continue;
    }
    if (there) there.push(ad);
    else at.set(index, [ad]);
  }

  let targetDuration = Math.max(input.targetDuration ?? 0, commonTargetDuration([content]));
  let version = Math.max(3, content.version); // 3: EXTINF durations may be decimals
  let independent = content.independentSegments;
  if (content.usesByteRange) version = Math.max(version, 4);

  const parts: string[] = [];
  let outSeq = content.mediaSequence;
  let emitted = 0;
  let discontinuities = 0;
  let duration = 0;

  // Key and map state as the player will see it at the current line of the output.
  let keysRef: KeyTag[] | null = null;
  let keysStyle: UriStyle | null = null;
  let keysIv: string | undefined;
  let keysText = "";
  let mapRef: MapTag | null = null;
  let mapStyle: UriStyle | null = null;

  const emit = (seg: Segment, style: UriStyle, discontinuity: boolean, marker: string, params = "") => {
    let pre = "";
    if (seg.discontinuity || (discontinuity && emitted > 0)) {
      pre += "#EXT-X-DISCONTINUITY\n";
      discontinuities++;
    }

    // Keys: only re-render when the state could have changed (a new key tag, another playlist, a new IV).
    let iv: string | undefined;
    if (seg.keys.length && seg.seq !== outSeq && seg.keys.some((k) => k.iv === undefined)) iv = sequenceIv(seg.seq);
    if (seg.keys !== keysRef || style !== keysStyle || iv !== keysIv) {
      const text = seg.keys.length || keysText !== "" ? renderKeys(seg.keys, style, iv) : "";
      if (text !== keysText) {
        pre += text;
        keysText = seg.keys.length ? text : "";
        if (iv !== undefined) version = Math.max(version, 2);
        if (seg.keys.some((k) => k.rest.some(([name]) => name === "KEYFORMAT" || name === "KEYFORMATVERSIONS"))) version = Math.max(version, 5);
      }
      keysRef = seg.keys;
      keysStyle = style;
      keysIv = iv;
    }

    if (seg.map && (seg.map !== mapRef || style !== mapStyle || marker !== "")) {
      pre += renderMap(seg.map, style);
      mapRef = seg.map;
      mapStyle = style;
      version = Math.max(version, 6);
    }
    // The cue goes after EXT-X-MAP: hls.js turns the tags it has gathered when it meets a MAP into the init
    // segment and starts the media segment afresh, so a CUE-OUT/CUE-IN before the MAP would be lost to it.
    pre += marker;

    if (pre !== "") parts.push(pre);
    parts.push(seg.head, segmentUri(seg, style, params), "\n");
    outSeq++;
    emitted++;
    duration += seg.duration;
  };

  const insertPod = (pod: AdInsertion[], index: number) => {
    const podDuration = pod.reduce((t, ad) => t + ad.playlist.duration, 0);
    pod.forEach((ad, k) => insertAd(ad, index, k === 0 ? `#EXT-X-CUE-OUT:DURATION=${podDuration.toFixed(3)}\n` : ""));
  };

  const insertAd = (ad: AdInsertion, index: number, cueOut: string) => {
    const pl = ad.playlist;
    targetDuration = Math.max(targetDuration, commonTargetDuration([pl]));
    version = Math.max(version, pl.version);
    if (pl.usesByteRange) version = Math.max(version, 4);
    independent &&= pl.independentSegments;
    pl.segments.forEach((seg, i) => emit(seg, ad.style, i === 0, i === 0 ? cueOut : "", ad.segmentQuery?.(i) ?? ""));
    placed.push({
      id: ad.id,
      at: starts[index]!,
      beforeSegment: index,
      position: index === 0 ? "pre" : index === n ? "post" : "mid",
      duration: pl.duration,
      segments: pl.segments.length,
    });
  };

  for (let i = 0; i < n; i++) {
    const ad = at.get(i);
    if (ad) insertPod(ad, i);
    const seg = content.segments[i]!;
    if (ad) emit(seg, contentStyle, true, "#EXT-X-CUE-IN\n");
    else if (seg.keys === keysRef && seg.map === mapRef && !seg.discontinuity && seg.seq === outSeq && contentStyle === keysStyle && keysIv === undefined) {
      // The hot path: nothing changes but the segment itself.
      parts.push(seg.head, renderUri(seg.uri, contentStyle), "\n");
      outSeq++;
      emitted++;
      duration += seg.duration;
    } else emit(seg, contentStyle, false, "");
  }
  const post = at.get(n);
  if (post) insertPod(post, n);

  let header = `#EXTM3U\n#EXT-X-VERSION:${version}\n#EXT-X-TARGETDURATION:${targetDuration}\n#EXT-X-MEDIA-SEQUENCE:${content.mediaSequence}\n`;
  if (content.discontinuitySequence) header += `#EXT-X-DISCONTINUITY-SEQUENCE:${content.discontinuitySequence}\n`;
  if (content.playlistType) header += `#EXT-X-PLAYLIST-TYPE:${content.playlistType}\n`;
  else if (content.endList) header += "#EXT-X-PLAYLIST-TYPE:VOD\n";
  if (independent) header += "#EXT-X-INDEPENDENT-SEGMENTS\n";
  for (const t of content.headerTags) header += t + "\n";

  let text = header + parts.join("");
  if (content.endList) text += "#EXT-X-ENDLIST\n";
  placed.sort((a, b) => a.beforeSegment - b.beforeSegment);
  return { text, targetDuration, version, placed, skipped, discontinuities, segments: emitted, duration };
}
