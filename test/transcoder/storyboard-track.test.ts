// The site player's storyboard reader (edge/site/public/assets/storyboard.js, plain ESM) against the WebVTT
// track the transcoder writes (transcode.ts storyboardVtt): here in node, where both load.
import { describe, expect, it } from "vitest";
import { contentTime, cueAt, parseStoryboard } from "../../edge/site/public/assets/storyboard.js";
import { storyboardVtt } from "../../transcoder/src/transcode";

describe("the player's seek previews (storyboard.js)", () => {
  const track = "https://cdn.test/api/v1/resource/media/films/f/episodes/line1/1/hls/j/storyboard/thumbnails.vtt?token=abc";

  it("reads the transcoder's WebVTT track: sprite URLs absolute, carrying the track's media token", () => {
    const text = storyboardVtt({ count: 27, interval: 5, duration: 133, width: 160, height: 90, columns: 5, rows: 5 });
    const cues = parseStoryboard(text, track);
    expect(cues).toHaveLength(27);
    expect(cues[0]).toEqual({ start: 0, end: 5, url: "https://cdn.test/api/v1/resource/media/films/f/episodes/line1/1/hls/j/storyboard/sprite_000.jpg?token=abc", x: 0, y: 0, w: 160, h: 90 });
    expect(cues[6]).toMatchObject({ start: 30, end: 35, x: 160, y: 90 });
    expect(cues[25]).toMatchObject({ start: 125, url: expect.stringContaining("/sprite_001.jpg?token=abc"), x: 0, y: 0 });
    expect(cues[26]).toMatchObject({ start: 130, end: 133 });
  });

  it("maps the stitched timeline to the content's: ads shift it, and inside an ad there is no preview", () => {
    const ads = [
      { start: 0, end: 2 },
      { start: 6, end: 8 },
    ];
    expect(contentTime(1, ads)).toBeNull();
    expect(contentTime(3, ads)).toBe(1);
    expect(contentTime(7, ads)).toBeNull();
    expect(contentTime(9, ads)).toBe(5);
    const cues = parseStoryboard(storyboardVtt({ count: 3, interval: 5, duration: 12, width: 160, height: 90, columns: 5, rows: 5 }), track);
    expect(cueAt(cues, contentTime(9, ads))?.start).toBe(5);
    expect(cueAt(cues, 11.9)?.start).toBe(10);
    expect(cueAt(cues, null)).toBeNull();
  });

  it("skips cues it cannot use", () => {
    expect(parseStoryboard("WEBVTT\n\n00:00.000 --> 00:05.000\nsprite.jpg\n\nbad --> worse\nx.jpg#xywh=0,0,1,1\n", track)).toEqual([]);
  });
});
