import { describe, expect, it } from "vitest";
import { POST_ROLL } from "../../edge/hls";
import { VastError, beaconsBySegment, breakPosition, expandMacros, fetchableUrl, offsetSeconds, parseOffset, parseVast, parseVmap, pickMediaFile, podOf } from "../../edge/ads";
import type { MediaFile } from "../../edge/ads";
import { inlineAd, vast, vmap, wrapperAd } from "../support/vast-fixtures";

describe("parseVast", () => {
  for (const version of ["2.0", "3.0", "4.0", "4.1", "4.2", "4.3"]) {
    it(`reads an InLine ad of VAST ${version}`, () => {
      const doc = parseVast(vast([inlineAd({ mediaUrl: "https://ads.example/a.mp4", beacons: "https://t.example/x", duration: "00:00:15.500" })], version));
      expect(doc.ok).toBe(true);
      if (!doc.ok) return;
      expect(doc.version).toBe(version);
      const [ad] = doc.ads;
      expect(ad?.kind).toBe("inline");
      if (ad?.kind !== "inline") return;
      expect(ad.impressions).toEqual(["https://t.example/x/imp?cb=[CACHEBUSTING]"]);
      expect(ad.errors).toEqual(["https://t.example/x/error?code=[ERRORCODE]"]);
      expect(ad.tracking.start).toEqual(["https://t.example/x/start"]);
      expect(ad.tracking.complete).toEqual(["https://t.example/x/complete"]);
      expect(ad.linear?.duration).toBe(15.5);
      expect(ad.linear?.mediaFiles.map((m) => [m.delivery, m.type, m.height, m.bitrate])).toEqual([
        ["streaming", "application/x-mpegurl", 720, 0],
        ["progressive", "video/mp4", 360, 700],
      ]);
    });
  }

  it("reads a Wrapper with its own beacons", () => {
    const doc = parseVast(vast([wrapperAd("https://next.example/vast?x=1", "https://w.example")]));
    expect(doc.ok && doc.ads[0]).toMatchObject({ kind: "wrapper", adTagUri: "https://next.example/vast?x=1", impressions: ["https://w.example/imp"] });
    if (doc.ok && doc.ads[0]?.kind === "wrapper") expect(doc.ads[0].tracking.start).toEqual(["https://w.example/start"]);
  });

  it("orders a pod by sequence; without a pod, the first stand-alone ad plays", () => {
    const doc = parseVast(vast([inlineAd({ id: "b", sequence: 2, mediaUrl: "https://a/2.mp4" }), inlineAd({ id: "x", mediaUrl: "https://a/x.mp4" }), inlineAd({ id: "a", sequence: 1, mediaUrl: "https://a/1.mp4" })]));
    expect(doc.ok && podOf(doc.ads).map((a) => a.id)).toEqual(["a", "b"]);
    const single = parseVast(vast([inlineAd({ id: "x", mediaUrl: "https://a/x.mp4" }), inlineAd({ id: "y", mediaUrl: "https://a/y.mp4" })]));
    expect(single.ok && podOf(single.ads).map((a) => a.id)).toEqual(["x"]);
  });

  it("an empty VAST has no ads but keeps its root Error", () => {
    expect(parseVast(vast([], "3.0", "https://e.example/nobid?c=[ERRORCODE]"))).toEqual({ ok: true, version: "3.0", ads: [], errors: ["https://e.example/nobid?c=[ERRORCODE]"] });
  });

  it("names the IAB code of each failure", () => {
    expect(parseVast("<VAST version='4.0'><Ad>")).toMatchObject({ ok: false, code: VastError.XML_PARSE });
    expect(parseVast("not xml at all <")).toMatchObject({ ok: false, code: VastError.XML_PARSE });
    expect(parseVast("<html><body/></html>")).toMatchObject({ ok: false, code: VastError.SCHEMA });
    expect(parseVast("<VAST version='1.0'/>")).toMatchObject({ ok: false, code: VastError.VERSION });
    // Entity expansion is how XML bombs work: refused before parsing.
    expect(parseVast('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><VAST version="4.0">&a;</VAST>')).toMatchObject({ ok: false, code: VastError.XML_PARSE });
  });
});

describe("parseVmap", () => {
  it("reads breaks with embedded VAST and AdTagURIs, every timeOffset form", () => {
    const doc = parseVmap(
      vmap([
        { offset: "start", vast: vast([inlineAd({ mediaUrl: "https://a/pre.mp4" })]) },
        { offset: "00:00:10.500", uri: "https://ads.example/mid?x=[CACHEBUSTING]" },
        { offset: "50%", uri: "https://ads.example/half" },
        { offset: "#2", uri: "https://ads.example/second" },
        { offset: "end", uri: "https://ads.example/post" },
        { offset: "tomorrow", uri: "https://ads.example/bad" },
      ]),
    );
    expect(doc.ok).toBe(true);
    if (!doc.ok) return;
    expect(doc.breaks.map((b) => b.offset)).toEqual([
      { kind: "start" },
      { kind: "seconds", value: 10.5 },
      { kind: "fraction", value: 0.5 },
      { kind: "position", value: 2 },
      { kind: "end" },
    ]);
    expect(doc.breaks[0]!.source.kind).toBe("vast");
    expect(doc.breaks[1]!.source).toEqual({ kind: "uri", url: "https://ads.example/mid?x=[CACHEBUSTING]" });
  });

  it("turns offsets into plan positions", () => {
    const planned = [30, 70];
    expect(offsetSeconds(parseOffset("start")!, 100, planned)).toBe(0);
    expect(offsetSeconds(parseOffset("end")!, 100, planned)).toBe(POST_ROLL);
    expect(offsetSeconds(parseOffset("25%")!, 100, planned)).toBe(25);
    expect(offsetSeconds(parseOffset("00:01:00")!, 100, planned)).toBe(60);
    expect(offsetSeconds(parseOffset("00:02:00")!, 100, planned)).toBe(null);
    expect(offsetSeconds(parseOffset("#2")!, 100, planned)).toBe(70);
    expect(offsetSeconds(parseOffset("#3")!, 100, planned)).toBe(null);
    expect(parseOffset("101%")).toBe(null);
  });

  it("refuses what is not VMAP 1.0", () => {
    expect(parseVmap("<VMAP version='2.0'/>")).toMatchObject({ ok: false, code: VastError.VERSION });
    expect(parseVmap("<a>")).toMatchObject({ ok: false, code: VastError.XML_PARSE });
  });
});

describe("expandMacros", () => {
  it("replaces the documented macros, URL-encoded, and leaves unknown ones", () => {
    const url = expandMacros(
      "https://ads.example/vast?id=[CONTENT_ID]&cat=[CONTENT_CATEGORY]&pos=[BREAK_POSITION]&cb=[CACHEBUSTING]&ts=[TIMESTAMP]&old=%%CONTENT_TYPE%%&x=[UNKNOWN]",
      { CONTENT_ID: "a b&c=d", CONTENT_CATEGORY: "MOVIE_DRAMA", BREAK_POSITION: breakPosition(0, POST_ROLL), CONTENT_TYPE: "MOVIE" },
      () => 0.1234,
      () => new Date("2026-01-02T03:04:05Z"),
    );
    expect(url).toBe("https://ads.example/vast?id=a%20b%26c%3Dd&cat=MOVIE_DRAMA&pos=1&cb=12340000&ts=2026-01-02T03%3A04%3A05.000Z&old=MOVIE&x=[UNKNOWN]");
  });
  it("a new cache buster per expansion", () => {
    expect(expandMacros("[CACHEBUSTING]", {})).not.toBe(expandMacros("[CACHEBUSTING]", {}));
  });
});

describe("pickMediaFile", () => {
  const mf = (url: string, type: string, height: number, bitrate: number, delivery: MediaFile["delivery"] = "progressive"): MediaFile => ({ url, type, delivery, width: 0, height, bitrate });
  const top = { bandwidth: 2_800_000, height: 720 };
  it("the progressive file closest to the content's top rendition", () => {
    const files = [mf("https://a/360.mp4", "video/mp4", 360, 700), mf("https://a/720.mp4", "video/mp4", 720, 2500), mf("https://a/1080.mp4", "video/mp4", 1080, 6000), mf("https://a/720.m3u8", "application/x-mpegurl", 720, 2800, "streaming")];
    expect(pickMediaFile(files, top, false)?.url).toBe("https://a/720.mp4");
  });
  it("never a non-https URL, a playlist or an unknown type", () => {
    const files = [mf("http://a/720.mp4", "video/mp4", 720, 2800), mf("file:///etc/passwd", "video/mp4", 720, 2800), mf("https://a/x.flv", "video/x-flv", 720, 2800), mf("https://a/720.m3u8", "application/x-mpegurl", 720, 2800, "streaming")];
    expect(pickMediaFile(files, top, false)).toBe(null);
    expect(pickMediaFile([mf("http://127.0.0.1:9/a.mp4", "video/mp4", 0, 0)], top, true)?.url).toBe("http://127.0.0.1:9/a.mp4");
    expect(pickMediaFile([mf("http://10.0.0.1/a.mp4", "video/mp4", 0, 0)], top, true)).toBe(null);
  });
  it("ties go to the larger file, then mp4", () => {
    expect(pickMediaFile([mf("https://a/w.webm", "video/webm", 0, 0), mf("https://a/m.mp4", "video/mp4", 0, 0)], top, false)?.url).toBe("https://a/m.mp4");
  });
});

describe("fetchableUrl", () => {
  it("https only, loopback http when allowed, no credentials", () => {
    expect(fetchableUrl("https://x.example/a", false)?.href).toBe("https://x.example/a");
    expect(fetchableUrl("http://x.example/a", true)).toBe(null);
    expect(fetchableUrl("http://localhost:1/a", true)?.host).toBe("localhost:1");
    expect(fetchableUrl("http://localhost:1/a", false)).toBe(null);
    expect(fetchableUrl("https://u:p@x.example/a", false)).toBe(null);
    expect(fetchableUrl("javascript:alert(1)", true)).toBe(null);
    expect(fetchableUrl("ads/1/x", true)).toBe(null);
  });
});

describe("beaconsBySegment", () => {
  it("places each event on the segment covering it", () => {
    expect(beaconsBySegment([4, 4, 4, 4])).toEqual([["impression", "start"], ["firstQuartile"], ["midpoint"], ["thirdQuartile", "complete"]]);
    expect(beaconsBySegment([4, 2])).toEqual([["impression", "start", "firstQuartile", "midpoint"], ["thirdQuartile", "complete"]]);
    expect(beaconsBySegment([5])).toEqual([["impression", "start", "firstQuartile", "midpoint", "thirdQuartile", "complete"]]);
  });
});
