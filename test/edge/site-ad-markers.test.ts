import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { type FragmentLike, findAds } from "../../edge/site/public/assets/ad-markers.js";

/** Fragments as hls.js parses them: tags it does not interpret land in the next fragment's tagList. */
function fragments(spec: { d: number; tags?: string[][] }[]): FragmentLike[] {
  let start = 0;
  return spec.map((f, sn) => {
    const frag = { sn, start, duration: f.d, tagList: [...(f.tags ?? []), ["INF", String(f.d)]] };
    start += f.d;
    return frag;
  });
}

describe("the player's ad detection (ad-markers.js)", () => {
  it("takes the fragments between EXT-X-CUE-OUT and EXT-X-CUE-IN as ads", () => {
    const found = findAds(
      fragments([
        { d: 2 },
        { d: 2 },
        { d: 1, tags: [["DIS"], ["EXT-X-CUE-OUT", "DURATION=2"]] },
        { d: 1 },
        { d: 2, tags: [["DIS"], ["EXT-X-CUE-IN"]] },
        { d: 2 },
        { d: 2, tags: [["DIS"], ["EXT-X-CUE-OUT", "DURATION=2"]] },
        { d: 2, tags: [["EXT-X-CUE-IN"], ["DIS"]] },
      ]),
    );
    expect(found.source).toBe("cue");
    expect([...found.ads]).toEqual([2, 3, 6]);
    expect(found.ranges).toEqual([
      { start: 4, end: 6 },
      { start: 10, end: 12 },
    ]);
  });

  it("without CUE markers, takes the odd discontinuity sections as ads", () => {
    const found = findAds(fragments([{ d: 4 }, { d: 2, tags: [["DIS"]] }, { d: 4, tags: [["DIS"]] }, { d: 2, tags: [["DIS"]] }]));
    expect(found.source).toBe("discontinuity");
    expect([...found.ads]).toEqual([1, 3]);
    expect(found.ranges).toEqual([
      { start: 4, end: 6 },
      { start: 10, end: 12 },
    ]);
  });

  it("finds no ad in plain content, and a pre-roll at the very start", () => {
    expect(findAds(fragments([{ d: 4 }, { d: 4 }])).source).toBe("none");
    const pre = findAds(fragments([{ d: 2, tags: [["EXT-X-CUE-OUT", "DURATION=2"]] }, { d: 4, tags: [["DIS"], ["EXT-X-CUE-IN"]] }]));
    expect(pre.ranges).toEqual([{ start: 0, end: 2 }]);
  });

  it("does not serve its type declarations as part of the site", async () => {
    const res = await exports.default.fetch("https://cdn.test/assets/ad-markers.d.ts");
    expect(res.status).toBe(404);
    await res.arrayBuffer();
  });
});
