// The pure caption modules: WebVTT/SRT parsing and every refusal, SRT → WebVTT, cue windows, segment
// WebVTT, language tags, and the subtitle playlist built through the stitcher.
import { describe, expect, it } from "vitest";
import { CueIndex, canonicalLang, clipCues, defaultLabel, parseCaptions, segmentVtt, srtTextToVtt, subtitlePlaylist, toVtt } from "../../edge/captions";
import { parseMediaPlaylist, stitch } from "../../edge/hls";
import { count, lines, specProblems, vod } from "./hls-fixtures";

const enc = (s: string) => new TextEncoder().encode(s);
const parse = (s: string | Uint8Array) => parseCaptions(typeof s === "string" ? enc(s) : s);
const reason = (s: string | Uint8Array) => {
  const r = parse(s);
  if (r.ok) throw new Error("expected a refusal");
  return r.reason;
};

const SRT = `1
00:00:01,000 --> 00:00:02,500
Hello <i>world</i> & <font color="red">friends</font>

2
00:00:03,000 --> 00:00:04,000 X1:10 X2:20
{\\an8}Top <b>line</b>
second line < third
`;

describe("parseCaptions", () => {
  it("converts SRT to WebVTT: times, markup kept or dropped, & and < escaped, numbers dropped", () => {
    const r = parse(SRT);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.captions.format).toBe("srt");
    expect(toVtt(r.captions)).toBe(
      "WEBVTT\n\n00:00:01.000 --> 00:00:02.500\nHello <i>world</i> &amp; friends\n\n00:00:03.000 --> 00:00:04.000\nTop <b>line</b>\nsecond line &lt; third\n",
    );
    // The result parses as WebVTT to the same cues.
    const again = parse(toVtt(r.captions));
    expect(again.ok && again.captions.cues).toEqual(r.captions.cues);
  });

  it("accepts a BOM, CRLF and lone CR, an SRT without numbers and with '.' for the milliseconds", () => {
    const crlf = `\uFEFF1\r\n00:00:01,000 --> 00:00:02,000\r\nA\r\n\r\n2\r\n00:00:03,000 --> 00:00:04,000\r\nB\r\n`;
    const r = parse(crlf);
    expect(r.ok && r.captions.cues.map((c) => [c.start, c.end, c.text])).toEqual([
      [1000, 2000, "A"],
      [3000, 4000, "B"],
    ]);
    const cr = parse("00:00:01.000 --> 00:00:02.000\rA\r\r00:00:05.000 --> 00:00:06.000\rB\r");
    expect(cr.ok && cr.captions.cues.map((c) => c.start)).toEqual([1000, 5000]);
  });

  it("reads WebVTT: identifiers, settings, NOTE/STYLE/REGION dropped, MM:SS.mmm, cues sorted by start", () => {
    const vtt = `WEBVTT - a title
Kind: captions

STYLE
::cue { color: yellow }

NOTE a comment
spanning lines

intro
00:05.000 --> 00:06.000 align:start   line:0
Later

00:00:01.000 --> 00:00:02.000
<v Roger>Earlier</v>
`;
    const r = parse(vtt);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.captions.format).toBe("vtt");
    expect(r.captions.cues).toEqual([
      { start: 1000, end: 2000, settings: "", text: "<v Roger>Earlier</v>" },
      { start: 5000, end: 6000, id: "intro", settings: "align:start line:0", text: "Later" },
    ]);
    expect(toVtt(r.captions)).toBe("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n<v Roger>Earlier</v>\n\nintro\n00:00:05.000 --> 00:00:06.000 align:start line:0\nLater\n");
  });

  it("refuses a bad timing naming its line and the expected form", () => {
    expect(reason("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\na\n\n00:01,5 --> 00:02\nb\n")).toBe(
      'line 6: cue timing "00:01,5 --> 00:02" is not HH:MM:SS.mmm --> HH:MM:SS.mmm',
    );
    expect(reason("1\n00:00:01,000 --> 00:00:02,000\na\n\n2\n00:00:03 --> 00:00:04,000\nb\n")).toBe(
      'line 6: cue timing "00:00:03 --> 00:00:04,000" is not HH:MM:SS,mmm --> HH:MM:SS,mmm',
    );
    expect(reason("WEBVTT\n\n00:00:01.000 --> 00:00:61.000\na\n")).toMatch(/^line 3: cue timing .*\(minutes and seconds go to 59\)$/);
  });

  it("refuses every other broken file with a named line", () => {
    expect(reason("")).toBe("the file is empty");
    expect(reason(" \n\n\t\n")).toBe("the file is empty");
    expect(reason("WEBVTT\n\nNOTE nothing here\n")).toBe("no cues");
    expect(reason("WEBVTT\n\n00:00:05.000 --> 00:00:04.000\nbackwards\n")).toBe("line 3: cue ends (00:00:04.000) before it starts (00:00:05.000)");
    expect(reason("WEBVTT\n\n24:00:00.000 --> 24:00:00.001\nlate\n")).toBe("line 3: cue time 24:00:00.001 is past 24 h");
    expect(reason("1\n25:00:00,000 --> 25:00:01,000\nlate\n")).toBe("line 2: cue time 25:00:00.000 is past 24 h");
    expect(reason(new Uint8Array([0x57, 0x45, 0x42, 0x0a, 0xc3, 0x28]))).toBe("line 2: not UTF-8 (byte 0xc3 at offset 4)");
    expect(reason(new Uint8Array([0xff, 0xfe, 0x31, 0x00]))).toMatch(/UTF-16/);
    expect(reason("1\n00:00:01,000 --> 00:00:02,000\nnul\u0000here\n")).toBe("line 3: a NUL byte (this is a binary file, not captions)");
    expect(reason("1\n00:00:01,000 --> 00:00:02,000\nbell\u0007\n")).toBe("line 3: binary data (control character U+0007)");
    expect(reason(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))).toMatch(/^line 1: not UTF-8/);
    expect(reason("WEBVTT\n00:00:01.000 --> 00:00:02.000\nno blank line\n")).toMatch(/^line 2: a cue timing inside the header/);
    expect(reason("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\na\n00:00:03.000 --> 00:00:04.000\nb\n")).toMatch(/^line 5: "-->" in cue text/);
    expect(reason("just some text\nnot captions\n")).toMatch(/^line 1: expected a cue number or timing/);
    expect(reason("1\nnot a timing\n")).toMatch(/^line 2: expected a cue timing/);
    expect(reason("WEBVTT\n\nid only\n")).toMatch(/^line 3: "id only" is not a cue timing/);
  });
});

describe("srtTextToVtt", () => {
  it("keeps <i>/<b>/<u> (lower-cased), drops <font> and ASS overrides, escapes the rest", () => {
    expect(srtTextToVtt("<I>x</I> <font face=a>y</font> {\\i1}z a<b c&d &amp; &#39;")).toBe("<i>x</i> y z a&lt;b c&amp;d &amp; &#39;");
  });
});

describe("CueIndex.window and segmentVtt", () => {
  const r = parse("WEBVTT\n\n00:00:00.000 --> 00:00:20.000\nlong\n\n00:00:05.000 --> 00:00:06.000\nA\n\n00:00:06.000 --> 00:00:07.000\nB\n\n00:00:11.999 --> 00:00:12.000\nC\n");
  const cues = r.ok ? r.captions.cues : [];
  const idx = new CueIndex(cues);
  const texts = (from: number, to: number) => idx.window(from, to).map((c) => c.text);

  it("holds exactly the cues that overlap [from, to)", () => {
    expect(texts(0, 6000)).toEqual(["long", "A"]);
    expect(texts(6000, 12000)).toEqual(["long", "B", "C"]);
    expect(texts(12000, 18000)).toEqual(["long"]);
    expect(texts(20000, 30000)).toEqual([]);
    expect(texts(7000, 11999)).toEqual(["long"]);
  });

  it("writes X-TIMESTAMP-MAP and the cues at their content times, without identifiers", () => {
    expect(segmentVtt(idx.window(5000, 6000), 126000)).toBe(
      "WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:126000,LOCAL:00:00:00.000\n\n00:00:00.000 --> 00:00:20.000\nlong\n\n00:00:05.000 --> 00:00:06.000\nA\n",
    );
  });
});

describe("clipCues", () => {
  const cues = [
    { start: 1000, end: 9000 },
    { start: 2000, end: 3000 },
  ];
  it("cuts only the sides named, to the window", () => {
    expect(clipCues(cues, 2000, 6000, undefined)).toEqual(cues);
    expect(clipCues(cues, 2000, 6000, "end")).toEqual([{ start: 1000, end: 6000 }, { start: 2000, end: 3000 }]);
    expect(clipCues(cues, 2000, 6000, "start")).toEqual([{ start: 2000, end: 9000 }, { start: 2000, end: 3000 }]);
    expect(clipCues(cues, 2000, 6000, "both")).toEqual([{ start: 2000, end: 6000 }, { start: 2000, end: 3000 }]);
  });
});

describe("canonicalLang and defaultLabel", () => {
  it("canonicalises tags and refuses what is not one", () => {
    expect(canonicalLang("pt-br")).toEqual({ ok: true, lang: "pt-BR" });
    expect(canonicalLang("ZH-hans")).toEqual({ ok: true, lang: "zh-Hans" });
    expect(canonicalLang("en")).toEqual({ ok: true, lang: "en" });
    for (const bad of ["", "e n", "en_US", "english-language-tag", "../x", "a".repeat(36), "en-", "x"]) expect(canonicalLang(bad).ok, bad).toBe(false);
  });

  it("names a language in itself", () => {
    expect(defaultLabel("en")).toBe("English");
    expect(defaultLabel("es")).toBe("español");
  });
});

describe("subtitlePlaylist", () => {
  const content = parseMediaPlaylist(vod({ durations: [6, 6, 6, 6, 4.5] }), "films/f/episodes/l/1/hls/j/720p/index.m3u8");
  const ad = parseMediaPlaylist(vod({ durations: [5, 5, 2.2] }), "ads/a/hls/j/360p/index.m3u8");
  const style = { base: "https://cdn.test/api/v1/resource/media/", query: "" };
  const ads = [
    { id: "a", at: 0, playlist: ad },
    { id: "a", at: 12, playlist: ad },
    { id: "a", at: -1, playlist: ad },
  ];

  it("has the video's segments, durations, discontinuities and cues; captions windows for content, empty WebVTT for ads", () => {
    const video = stitch({ content, contentStyle: style, ads: ads.map((a) => ({ ...a, style })), targetDuration: 7 });
    const subs = subtitlePlaylist({ content, segmentUrl: (f, t, clip) => `https://cdn.test/c/en/v.vtt?from=${f / 1000}&to=${t / 1000}${clip ? `&clip=${clip}` : ""}`, emptyUrl: "https://cdn.test/empty.vtt", ads, targetDuration: 7 });
    expect(specProblems(subs.text)).toEqual([]);
    const v = lines(video.text);
    const s = lines(subs.text);
    expect(s.segments.map((x) => x.duration)).toEqual(v.segments.map((x) => x.duration));
    const marks = (l: ReturnType<typeof lines>) => l.segments.map((x) => x.tags.filter((t) => !t.startsWith("#EXTINF")));
    expect(marks(s)).toEqual(marks(v));
    expect(count(subs.text, "#EXT-X-DISCONTINUITY")).toBe(4);
    expect(subs.text).not.toMatch(/#EXT-X-(MAP|KEY|BYTERANGE)/);
    expect(s.segments.map((x) => x.uri)).toEqual([
      ...Array(3).fill("https://cdn.test/empty.vtt"),
      "https://cdn.test/c/en/v.vtt?from=0&to=6",
      "https://cdn.test/c/en/v.vtt?from=6&to=12&clip=end",
      ...Array(3).fill("https://cdn.test/empty.vtt"),
      "https://cdn.test/c/en/v.vtt?from=12&to=18&clip=start",
      "https://cdn.test/c/en/v.vtt?from=18&to=24",
      "https://cdn.test/c/en/v.vtt?from=24&to=28.5&clip=end",
      ...Array(3).fill("https://cdn.test/empty.vtt"),
    ]);
    expect(subs.text.trimEnd().endsWith("#EXT-X-ENDLIST")).toBe(true);
  });
});
