import { describe, expect, it } from "vitest";
import {
  type AdInsertion,
  type MediaPlaylist,
  POST_ROLL,
  type UriStyle,
  closestByBandwidth,
  commonTargetDuration,
  parseMediaPlaylist,
  stitch,
} from "../../edge/hls";
import { count, headerValue, lines, specProblems, vod } from "./hls-fixtures";

const BASE = "https://cdn.test/api/v1/resource/media/";
const plain: UriStyle = { base: BASE, query: "" };
const CONTENT = "films/f1/episodes/line1/1/hls/job1/";
const AD_A = "ads/a1/hls/jobA/";
const AD_B = "ads/b1/hls/jobB/";

const content = (text: string, rendition = "720p") => parseMediaPlaylist(text, `${CONTENT}${rendition}/index.m3u8`);
const adPl = (text: string, prefix = AD_A, rendition = "low") => parseMediaPlaylist(text, `${prefix}${rendition}/index.m3u8`);
const ad = (id: string, at: number, playlist: MediaPlaylist, style = plain): AdInsertion => ({ id, at, playlist, style });

/** Ten 6 s segments (60 s) and a 15 s ad of three 5 s segments. */
const tenBySix = () => content(vod({ durations: Array(10).fill(6) }));
const threeByFive = (prefix = AD_A) => adPl(vod({ durations: [5, 5, 5] }), prefix);

describe("stitch: placement and markers", () => {
  it("splices a mid-roll at the nearest boundary with DISCONTINUITY and CUE tags around it", () => {
    const r = stitch({ content: tenBySix(), contentStyle: plain, ads: [ad("A", 31, threeByFive())] });
    expect(specProblems(r.text)).toEqual([]);
    expect(r.placed).toEqual([{ id: "A", at: 30, beforeSegment: 5, position: "mid", duration: 15, segments: 3 }]);
    const ls = lines(r.text);
    expect(ls.segments).toHaveLength(13);
    expect(ls.segments.map((s) => s.uri.replace(BASE, ""))).toEqual([
      ...[0, 1, 2, 3, 4].map((i) => `${CONTENT}720p/seg_0000${i}.ts`),
      ...[0, 1, 2].map((i) => `${AD_A}low/seg_0000${i}.ts`),
      ...[5, 6, 7, 8, 9].map((i) => `${CONTENT}720p/seg_0000${i}.ts`),
    ]);
    expect(ls.segments[5]!.tags.slice(0, 2)).toEqual(["#EXT-X-DISCONTINUITY", "#EXT-X-CUE-OUT:DURATION=15.000"]);
    expect(ls.segments[8]!.tags.slice(0, 2)).toEqual(["#EXT-X-DISCONTINUITY", "#EXT-X-CUE-IN"]);
    expect(r.discontinuities).toBe(2);
    expect(count(r.text, "#EXT-X-DISCONTINUITY")).toBe(2);
    expect(r.duration).toBe(75);
    expect(ls.trailer).toEqual(["#EXT-X-ENDLIST"]);
  });

  it("rounds to the boundary nearer to the planned time", () => {
    expect(stitch({ content: tenBySix(), contentStyle: plain, ads: [ad("A", 34, threeByFive())] }).placed[0]!.at).toBe(36);
    expect(stitch({ content: tenBySix(), contentStyle: plain, ads: [ad("A", 33, threeByFive())] }).placed[0]!.at).toBe(30);
  });

  it("puts a pre-roll first without a DISCONTINUITY before it, and a post-roll last without one after it", () => {
    const r = stitch({ content: tenBySix(), contentStyle: plain, ads: [ad("A", 0, threeByFive()), ad("B", POST_ROLL, threeByFive(AD_B))] });
    expect(specProblems(r.text)).toEqual([]);
    const ls = lines(r.text);
    expect(r.placed.map((p) => [p.id, p.position, p.at])).toEqual([["A", "pre", 0], ["B", "post", 60]]);
    expect(ls.segments[0]!.tags[0]).toBe("#EXT-X-CUE-OUT:DURATION=15.000");
    expect(ls.segments[0]!.tags).not.toContain("#EXT-X-DISCONTINUITY");
    expect(ls.segments[3]!.tags.slice(0, 2)).toEqual(["#EXT-X-DISCONTINUITY", "#EXT-X-CUE-IN"]);
    expect(ls.segments[13]!.tags.slice(0, 2)).toEqual(["#EXT-X-DISCONTINUITY", "#EXT-X-CUE-OUT:DURATION=15.000"]);
    expect(ls.segments.at(-1)!.uri).toBe(`${BASE}${AD_B}low/seg_00002.ts`);
    expect(ls.trailer).toEqual(["#EXT-X-ENDLIST"]);
    expect(r.discontinuities).toBe(2);
  });

  it("treats a planned time at the very end as a post-roll", () => {
    const r = stitch({ content: tenBySix(), contentStyle: plain, ads: [ad("A", 60, threeByFive())] });
    expect(r.placed[0]).toMatchObject({ position: "post", beforeSegment: 10 });
    expect(r.discontinuities).toBe(1);
  });

  it("skips breaks past the end of content that is shorter than planned, and serves the content as it is", () => {
    const short = content(vod({ durations: [4, 4, 2] }));
    const r = stitch({ content: short, contentStyle: plain, ads: [ad("A", 120, threeByFive())] });
    expect(r.placed).toEqual([]);
    expect(r.skipped).toEqual([{ id: "A", at: 120, reason: "the content is shorter (10.000 s)" }]);
    expect(count(r.text, "#EXT-X-DISCONTINUITY")).toBe(0);
    expect(count(r.text, "#EXT-X-CUE-OUT")).toBe(0);
    expect(lines(r.text).segments).toHaveLength(3);
    expect(specProblems(r.text)).toEqual([]);
  });

  it("keeps one ad per boundary when two planned times round to the same one", () => {
    const r = stitch({ content: tenBySix(), contentStyle: plain, ads: [ad("A", 29, threeByFive()), ad("B", 31, threeByFive(AD_B))] });
    expect(r.placed.map((p) => p.id)).toEqual(["A"]);
    expect(r.skipped[0]).toMatchObject({ id: "B", reason: expect.stringMatching(/already sits at 30/) });
  });

  it("serves plain content with absolute URIs, the source's header kept", () => {
    const src = vod({ durations: [6, 6], mediaSequence: 3, header: ["#EXT-X-INDEPENDENT-SEGMENTS", "#EXT-X-START:TIME-OFFSET=2"] });
    const r = stitch({ content: content(src), contentStyle: { base: BASE, query: "?token=t1" } });
    const ls = lines(r.text);
    expect(headerValue(ls, "#EXT-X-MEDIA-SEQUENCE")).toBe("3");
    expect(ls.header).toContain("#EXT-X-INDEPENDENT-SEGMENTS");
    expect(ls.header).toContain("#EXT-X-START:TIME-OFFSET=2");
    expect(ls.segments.map((s) => s.uri)).toEqual([`${BASE}${CONTENT}720p/seg_00000.ts?token=t1`, `${BASE}${CONTENT}720p/seg_00001.ts?token=t1`]);
    expect(specProblems(r.text)).toEqual([]);
  });

  it("keeps the content's own discontinuities and discontinuity sequence", () => {
    const src = vod({ durations: [6, 6, 6, 6], header: ["#EXT-X-DISCONTINUITY-SEQUENCE:4"], before: { 3: ["#EXT-X-DISCONTINUITY"] } });
    const r = stitch({ content: content(src), contentStyle: plain, ads: [ad("A", 12, threeByFive())] });
    expect(headerValue(lines(r.text), "#EXT-X-DISCONTINUITY-SEQUENCE")).toBe("4");
    expect(r.discontinuities).toBe(3);
    expect(specProblems(r.text)).toEqual([]);
  });

  it("replaces the content's existing cue tags by its own, balanced", () => {
    const src = vod({
      durations: Array(6).fill(6),
      before: { 1: ["#EXT-X-CUE-OUT:30"], 2: ["#EXT-X-CUE-OUT-CONT:ElapsedTime=6,Duration=30"], 4: ["#EXT-X-CUE-IN"] },
    });
    const r = stitch({ content: content(src), contentStyle: plain, ads: [ad("A", 18, threeByFive())] });
    expect(count(r.text, "#EXT-X-CUE-OUT")).toBe(1);
    expect(count(r.text, "#EXT-X-CUE-OUT-CONT")).toBe(0);
    expect(count(r.text, "#EXT-X-CUE-IN")).toBe(1);
    expect(specProblems(r.text)).toEqual([]);
  });
});

describe("stitch: the impression parameters of an ad's first segment", () => {
  it("go on the first segment's URI only, after the style's query, never on keys, maps or other segments", () => {
    const signed: UriStyle = { base: BASE, query: "?token=t" };
    for (const style of [plain, signed]) {
      const r = stitch({ content: tenBySix(), contentStyle: style, ads: [{ ...ad("A", 31, threeByFive(), style), segmentQuery: (i: number) => (i === 0 ? "imp=x.0.9.y" : "") }] });
      expect(specProblems(r.text)).toEqual([]);
      const uris = lines(r.text).segments.map((s) => s.uri);
      expect(uris.filter((u) => u.includes("imp="))).toEqual([`${BASE}${AD_A}low/seg_00000.ts${style.query ? "?token=t&" : "?"}imp=x.0.9.y`]);
    }
  });
});

describe("stitch: tricky inputs", () => {
  it("byte ranges: every range explicit, so an ad between sub-ranges of one file breaks nothing", () => {
    const src = [
      "#EXTM3U",
      "#EXT-X-VERSION:4",
      "#EXT-X-TARGETDURATION:6",
      "#EXT-X-PLAYLIST-TYPE:VOD",
      ...[0, 1, 2, 3].flatMap((i) => ["#EXTINF:6.0,", i === 0 ? "#EXT-X-BYTERANGE:1000@0" : "#EXT-X-BYTERANGE:1000", "all.ts"]),
      "#EXT-X-ENDLIST",
    ].join("\n");
    const adSrc = ["#EXTM3U", "#EXT-X-VERSION:4", "#EXT-X-TARGETDURATION:5", "#EXTINF:5.0,", "#EXT-X-BYTERANGE:700@0", "ad.ts", "#EXTINF:5.0,", "#EXT-X-BYTERANGE:700", "ad.ts", "#EXT-X-ENDLIST"].join("\n");
    const r = stitch({ content: content(src), contentStyle: plain, ads: [ad("A", 12, adPl(adSrc))] });
    expect(specProblems(r.text)).toEqual([]);
    const ranges = lines(r.text).segments.map((s) => s.tags.find((t) => t.startsWith("#EXT-X-BYTERANGE:")));
    expect(ranges).toEqual([
      "#EXT-X-BYTERANGE:1000@0",
      "#EXT-X-BYTERANGE:1000@1000",
      "#EXT-X-BYTERANGE:700@0",
      "#EXT-X-BYTERANGE:700@700",
      "#EXT-X-BYTERANGE:1000@2000",
      "#EXT-X-BYTERANGE:1000@3000",
    ]);
    expect(r.version).toBe(4);
  });

  const fmp4 = (prefix: string, n: number, d: number, init = "init.mp4") =>
    ["#EXTM3U", "#EXT-X-VERSION:7", `#EXT-X-TARGETDURATION:${d}`, "#EXT-X-PLAYLIST-TYPE:VOD", `#EXT-X-MAP:URI="${init}"`]
      .concat(Array.from({ length: n }, (_, i) => [`#EXTINF:${d}.0,`, `${prefix}${i}.m4s`]).flat())
      .concat("#EXT-X-ENDLIST")
      .join("\n");

  it("fMP4: the ad's MAP before its segments, the content's MAP again when it resumes", () => {
    const r = stitch({ content: content(fmp4("c", 6, 4)), contentStyle: plain, ads: [ad("A", 8, adPl(fmp4("a", 2, 3, "ad-init.mp4")))] });
    expect(specProblems(r.text)).toEqual([]);
    const maps = lines(r.text).segments.map((s) => s.tags.find((t) => t.startsWith("#EXT-X-MAP")) ?? null);
    const cMap = `#EXT-X-MAP:URI="${BASE}${CONTENT}720p/init.mp4"`;
    const aMap = `#EXT-X-MAP:URI="${BASE}${AD_A}low/ad-init.mp4"`;
    expect(maps).toEqual([cMap, null, aMap, null, cMap, null, null, null]);
    expect(r.version).toBe(7);
  });

  it("fMP4: each cue follows the MAP it comes with (hls.js gives the tags before a MAP to the init segment)", () => {
    const r = stitch({ content: content(fmp4("c", 6, 4)), contentStyle: plain, ads: [ad("A", 8, adPl(fmp4("a", 2, 3, "ad-init.mp4")))] });
    const tags = lines(r.text).segments.map((s) => s.tags.filter((t) => /^#EXT-X-(MAP|CUE-OUT|CUE-IN)/.test(t)).map((t) => t.split(/[:=]/)[0]));
    expect(tags[2]).toEqual(["#EXT-X-MAP", "#EXT-X-CUE-OUT"]);
    expect(tags[4]).toEqual(["#EXT-X-MAP", "#EXT-X-CUE-IN"]);
  });

  it("fMP4 content with an MPEG-TS ad: skipped, since a MAP cannot be switched off", () => {
    const r = stitch({ content: content(fmp4("c", 6, 4)), contentStyle: plain, ads: [ad("A", 8, threeByFive())] });
    expect(r.placed).toEqual([]);
    expect(r.skipped[0]!.reason).toMatch(/container mismatch: content is fMP4, ad is MPEG-TS/);
    expect(count(r.text, "#EXT-X-DISCONTINUITY")).toBe(0);
  });

  /** Replays the output as a player would: the key URI and IV in force for each segment. */
  function keysInForce(text: string): Array<{ uri: string; method: string; keyUri?: string; iv?: bigint }> {
    const ls = lines(text);
    let seq = Number(headerValue(ls, "#EXT-X-MEDIA-SEQUENCE"));
    let key: { method: string; uri?: string; iv?: string } = { method: "NONE" };
    return ls.segments.map((s) => {
      for (const t of s.tags) {
        if (!t.startsWith("#EXT-X-KEY:")) continue;
        key = {
          method: /METHOD=([^,]+)/.exec(t)![1]!,
          uri: /URI="([^"]+)"/.exec(t)?.[1],
          iv: /IV=(0x[0-9a-fA-F]+)/.exec(t)?.[1],
        };
      }
      const out = {
        uri: s.uri.replace(BASE, ""),
        method: key.method,
        keyUri: key.uri?.replace(BASE, ""),
        iv: key.method === "NONE" ? undefined : BigInt(key.iv ?? seq),
      };
      seq++;
      return out;
    });
  }

  it("AES-128 with implicit IVs: METHOD=NONE over the ad, the key restored after, IVs made explicit where renumbered", () => {
    const src = vod({ durations: Array(8).fill(6), mediaSequence: 100, header: ['#EXT-X-KEY:METHOD=AES-128,URI="../key.bin"'] });
    const r = stitch({ content: content(src), contentStyle: plain, ads: [ad("A", 0, threeByFive()), ad("B", 24, threeByFive(AD_B))] });
    expect(specProblems(r.text)).toEqual([]);
    const seen = keysInForce(r.text);
    expect(seen).toHaveLength(14);
    for (const s of seen) {
      if (s.uri.startsWith("ads/")) expect(s.method).toBe("NONE");
      else {
        const original = Number(/seg_(\d+)\.ts$/.exec(s.uri)![1]) + 100;
        expect(s).toMatchObject({ method: "AES-128", keyUri: `${CONTENT}key.bin`, iv: BigInt(original) });
      }
    }
    expect(r.version).toBeGreaterThanOrEqual(3);
  });

  it("AES-128 without insertion before it: segments before the first ad keep their implicit IVs and one KEY tag", () => {
    const src = vod({ durations: Array(6).fill(6), header: ['#EXT-X-KEY:METHOD=AES-128,URI="k.bin"'] });
    const r = stitch({ content: content(src), contentStyle: plain, ads: [ad("A", 18, threeByFive())] });
    const ls = lines(r.text);
    expect(ls.segments.slice(0, 3).flatMap((s) => s.tags).filter((t) => t.startsWith("#EXT-X-KEY"))).toEqual([`#EXT-X-KEY:METHOD=AES-128,URI="${BASE}${CONTENT}720p/k.bin"`]);
    expect(ls.segments[3]!.tags).toContain("#EXT-X-KEY:METHOD=NONE");
    expect(ls.segments[6]!.tags).toContain(`#EXT-X-KEY:METHOD=AES-128,URI="${BASE}${CONTENT}720p/k.bin",IV=0x00000000000000000000000000000003`);
    for (const s of keysInForce(r.text).filter((x) => x.uri.startsWith("films/"))) expect(s.iv).toBe(BigInt(Number(/seg_(\d+)/.exec(s.uri)![1])));
  });

  it("AES-128 with an explicit IV and KEYFORMAT: restored as written, version raised for KEYFORMAT", () => {
    const key = '#EXT-X-KEY:METHOD=AES-128,URI="k.bin",IV=0x0123456789ABCDEF0123456789ABCDEF,KEYFORMAT="identity",KEYFORMATVERSIONS="1"';
    const r = stitch({ content: content(vod({ durations: Array(4).fill(6), header: [key] })), contentStyle: plain, ads: [ad("A", 12, threeByFive())] });
    expect(specProblems(r.text)).toEqual([]);
    const keyLines = r.text.split("\n").filter((l) => l.startsWith("#EXT-X-KEY"));
    const restored = `#EXT-X-KEY:METHOD=AES-128,URI="${BASE}${CONTENT}720p/k.bin",IV=0x0123456789ABCDEF0123456789ABCDEF,KEYFORMAT="identity",KEYFORMATVERSIONS="1"`;
    expect(keyLines).toEqual([restored, "#EXT-X-KEY:METHOD=NONE", restored]);
    expect(r.version).toBe(5);
  });

  it("an encrypted ad keeps its own key, and the content's comes back after it", () => {
    const adSrc = vod({ durations: [5, 5], header: ['#EXT-X-KEY:METHOD=AES-128,URI="adkey.bin"'] });
    const r = stitch({ content: tenBySix(), contentStyle: plain, ads: [ad("A", 30, adPl(adSrc))] });
    const seen = keysInForce(r.text);
    expect(seen.filter((s) => s.uri.startsWith("ads/")).map((s) => [s.keyUri, s.iv])).toEqual([
      [`${AD_A}low/adkey.bin`, 0n],
      [`${AD_A}low/adkey.bin`, 1n],
    ]);
    expect(seen.filter((s) => s.uri.startsWith("films/")).every((s) => s.method === "NONE")).toBe(true);
  });
});

describe("stitch: one viewer's variants", () => {
  // Content: two renditions, the low one with a longer last segment. Ads: A has three renditions (more than
  // the content), B one (fewer).
  const renditions = [
    { name: "720p", bandwidth: 2_800_000, text: vod({ durations: [...Array(9).fill(6), 4] }) },
    { name: "360p", bandwidth: 800_000, text: vod({ durations: [...Array(9).fill(6), 3, 7.4] }) },
  ];
  const adA = [
    { name: "low", bandwidth: 600_000 },
    { name: "mid", bandwidth: 1_500_000 },
    { name: "high", bandwidth: 4_000_000 },
  ].map((r) => ({ ...r, playlist: adPl(vod({ durations: [5, 5, 4] }), AD_A, r.name) }));
  const adB = [{ name: "only", bandwidth: 1_000_000, playlist: adPl(vod({ durations: [4, 4, 4, 4, 8.6] }), AD_B, "only") }];
  const plan: Array<[string, number, typeof adA]> = [
    ["A", 0, adA],
    ["B", 30.2, adB],
    ["A", POST_ROLL, adA],
  ];

  const contents = renditions.map((r) => ({ ...r, playlist: content(r.text, r.name) }));
  const chosen = contents.map((c) => plan.map(([, , ad]) => closestByBandwidth(ad, c.bandwidth)));
  const td = commonTargetDuration([...contents.map((c) => c.playlist), ...chosen.flat().map((a) => a.playlist)]);
  const outs = contents.map((c, i) =>
    stitch({
      content: c.playlist,
      contentStyle: plain,
      targetDuration: td,
      ads: plan.map(([id, at], j) => ad(id, at, chosen[i]![j]!.playlist)),
    }),
  );

  it("chooses the ad rendition of closest bandwidth", () => {
    expect(chosen.map((c) => c.map((a) => a.name))).toEqual([
      ["high", "only", "high"],
      ["low", "only", "low"],
    ]);
  });

  it("carries the same ads at the same places in every variant", () => {
    const where = outs.map((o) => o.placed.map((p) => [p.id, p.at, p.position]));
    expect(where[0]).toEqual([["A", 0, "pre"], ["B", 30, "mid"], ["A", 58, "post"]]);
    // The low rendition is (unrealistically) longer at the end: its post-roll still comes after its last segment.
    expect(where[1]!.slice(0, 2)).toEqual(where[0]!.slice(0, 2));
    expect(where[1]![2]![2]).toBe("post");
    // The ad segments sit at the same media sequence numbers in both variants.
    const adSeqs = outs.map((o) => lines(o.text).segments.flatMap((s, i) => (s.uri.includes("/ads/") ? [i] : [])));
    expect(adSeqs[1]).toEqual(adSeqs[0]!.map((i, k) => (k < 8 ? i : i + 1)));
  });

  it("shares one target duration, the same discontinuity count and valid versions", () => {
    expect(td).toBe(9); // B's 8.6 s segment rounds to 9
    for (const o of outs) {
      expect(specProblems(o.text)).toEqual([]);
      expect(headerValue(lines(o.text), "#EXT-X-TARGETDURATION")).toBe("9");
      expect(o.discontinuities).toBe(4); // after the pre-roll, around the mid-roll, before the post-roll
      expect(count(o.text, "#EXT-X-CUE-OUT")).toBe(3);
      expect(count(o.text, "#EXT-X-CUE-IN")).toBe(2);
      expect(o.version).toBe(3);
    }
  });

  it("raises the target duration if the caller's is too small, never lowers it", () => {
    const low = stitch({ content: contents[1]!.playlist, contentStyle: plain, targetDuration: 2 });
    expect(low.targetDuration).toBe(7);
    const high = stitch({ content: contents[1]!.playlist, contentStyle: plain, targetDuration: 12 });
    expect(high.targetDuration).toBe(12);
  });
});
