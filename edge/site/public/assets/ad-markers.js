// Which fragments of a (stitched) media playlist are ads, from what hls.js parsed.
// hls.js keeps tags it does not interpret in `fragment.tagList` of the fragment they precede:
// `#EXT-X-CUE-OUT:DURATION=2` arrives as ["EXT-X-CUE-OUT", "DURATION=2"] on the ad's first
// fragment, `#EXT-X-CUE-IN` as ["EXT-X-CUE-IN"] on the first fragment after the ad, a
// discontinuity as ["DIS"]. When a playlist carries no CUE markers at all, the ads are taken to be
// the odd-numbered discontinuity sections (content, ad, content, …), which is how the edge
// stitches and how most SSAI streams look.

const CUE_OUT = new Set(["EXT-X-CUE-OUT", "EXT-X-CUE-OUT-CONT", "EXT-OATCLS-SCTE35"]);
const CUE_IN = new Set(["EXT-X-CUE-IN"]);

/**
 * @param {{ sn: number | string, start: number, duration: number, cc?: number, tagList?: string[][] }[]} fragments
 * @returns {{ ads: Set<number | string>, ranges: { start: number, end: number }[], source: "cue" | "discontinuity" | "none" }}
 */
export function findAds(fragments) {
  const hasCue = fragments.some((f) => (f.tagList ?? []).some((t) => CUE_OUT.has(t[0]) || CUE_IN.has(t[0])));
  const ads = new Set();
  if (hasCue) {
    let inAd = false;
    for (const f of fragments) {
      for (const [tag] of f.tagList ?? []) {
        if (tag === "EXT-X-CUE-OUT") inAd = true;
        else if (CUE_IN.has(tag)) inAd = false;
      }
      if (inAd) ads.add(f.sn);
    }
  } else {
    let section = 0;
    for (const f of fragments) {
      if ((f.tagList ?? []).some((t) => t[0] === "DIS")) section++;
      if (section % 2 === 1) ads.add(f.sn);
    }
  }
  const ranges = [];
  for (const f of fragments) {
    if (!ads.has(f.sn)) continue;
    const last = ranges[ranges.length - 1];
    if (last && Math.abs(last.end - f.start) < 0.05) last.end = f.start + f.duration;
    else ranges.push({ start: f.start, end: f.start + f.duration });
  }
  return { ads, ranges, source: ads.size === 0 ? "none" : hasCue ? "cue" : "discontinuity" };
}
