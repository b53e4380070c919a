// Which of an ad's MediaFiles the edge conditions. Pure.
//
// The rule (documented in the README):
// 1. Only files the transcoder can take as one source: progressive video/mp4 or video/webm (also
//    video/quicktime). Streaming (HLS, DASH) MediaFiles are not conditioned: the transcoder reads one file
//    from the edge's origin, never a playlist that names more URLs. Only URLs fetchableUrl accepts.
// 2. Among those, the closest to the content's top rendition: the smallest
//    |log2(bitrate / top bitrate)| + |log2(height / top height)| (a missing attribute counts as a miss of 1);
//    the transcoder makes the ad's own ladder from it, never upscaled, so a file at least as big as the
//    content's top rung is the one that fits every rung.
// 3. Ties: the larger file (more to scale down from), then mp4 before webm, then document order.
import type { MediaFile } from "./vast";
import { fetchableUrl } from "./urls";

const TYPES = ["video/mp4", "video/webm", "video/quicktime"];

export interface TopRendition {
  /** bits per second (a Rendition's bandwidth). */
  bandwidth: number;
  height: number;
}

export function pickMediaFile(files: readonly MediaFile[], top: TopRendition, allowLoopback: boolean): MediaFile | null {
  const usable = files.filter((f) => f.delivery === "progressive" && TYPES.includes(f.type) && fetchableUrl(f.url, allowLoopback));
  let best: MediaFile | null = null;
  let bestScore = Infinity;
  for (const f of usable) {
    const s = miss(f.bitrate, top.bandwidth / 1000) + miss(f.height, top.height);
    if (
      best === null ||
      s < bestScore - 1e-9 ||
      (Math.abs(s - bestScore) <= 1e-9 && (size(f) > size(best) || (size(f) === size(best) && TYPES.indexOf(f.type) < TYPES.indexOf(best.type))))
    ) {
      best = f;
      bestScore = s;
    }
  }
  return best;
}

function miss(have: number, want: number): number {
  if (!(have > 0) || !(want > 0)) return 1;
  return Math.abs(Math.log2(have / want));
}

const size = (f: MediaFile) => f.bitrate * 1e6 + f.height;
