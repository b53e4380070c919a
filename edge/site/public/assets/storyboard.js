// Seek previews: the storyboard the master playlist names (EXT-X-SESSION-DATA com.edge-stream.storyboard),
// a WebVTT track whose cues point at tiles of JPEG sprite sheets (`sprite_000.jpg#xywh=x,y,w,h`).

export const STORYBOARD_DATA_ID = "com.edge-stream.storyboard";

const TIME = /^(?:(\d+):)?(\d{2}):(\d{2}\.\d{3})$/;
const seconds = (t) => {
  const m = TIME.exec(t.trim());
  return m ? Number(m[1] ?? 0) * 3600 + Number(m[2]) * 60 + Number(m[3]) : NaN;
};

/**
 * The cues of a storyboard track, their sprite URLs absolute. A signed track URL's query (its media token,
 * which covers the whole output prefix) goes on every sprite URL too: relative URLs do not inherit it.
 * @param {string} text
 * @param {string} trackUrl
 * @returns {{ start: number, end: number, url: string, x: number, y: number, w: number, h: number }[]}
 */
export function parseStoryboard(text, trackUrl) {
  const base = new URL(trackUrl);
  const cues = [];
  for (const block of text.replace(/\r\n?/g, "\n").split(/\n{2,}/)) {
    const lines = block.split("\n").filter(Boolean);
    const at = lines.findIndex((l) => l.includes("-->"));
    if (at < 0 || !lines[at + 1]) continue;
    const [from, to] = lines[at].split("-->").map((s) => seconds(s.split(/\s+/).filter(Boolean)[0] ?? ""));
    const [ref, frag] = lines[at + 1].trim().split("#");
    const xywh = /^xywh=(\d+),(\d+),(\d+),(\d+)$/.exec(frag ?? "");
    if (!xywh || !(from >= 0) || !(to > from)) continue;
    const url = new URL(ref, base);
    if (!url.search) url.search = base.search;
    cues.push({ start: from, end: to, url: url.href, x: Number(xywh[1]), y: Number(xywh[2]), w: Number(xywh[3]), h: Number(xywh[4]) });
  }
  return cues;
}

/**
 * Where `t` (the stitched timeline the viewer sees, ads included) falls in the content, or null inside an ad.
 * @param {number} t
 * @param {{ start: number, end: number }[]} adRanges sorted
 */
export function contentTime(t, adRanges) {
  let shift = 0;
  for (const r of adRanges) {
    if (t >= r.end) shift += r.end - r.start;
    else if (t >= r.start) return null;
    else break;
  }
  return t - shift;
}

/** The cue covering content time `t` (the last one past the end). */
export function cueAt(cues, t) {
  if (t === null || cues.length === 0) return null;
  let lo = 0;
  let hi = cues.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (cues[mid].start <= t) lo = mid;
    else hi = mid - 1;
  }
  return cues[lo].start <= t + 1e-6 ? cues[lo] : null;
}
