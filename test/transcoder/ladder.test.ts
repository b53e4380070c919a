import { describe, expect, it } from "vitest";
import { DEFAULT_LADDER, displaySize, parseLadder, planLadder } from "../../transcoder/src/ladder";

const square = { rotation: 0, sampleAspect: 1 };

describe("parseLadder", () => {
  it("reads height:videoKbps[:audioKbps] rungs, highest first", () => {
    expect(parseLadder("360:800, 720:2800:160")).toEqual([
      { name: "720p", height: 720, videoKbps: 2800, audioKbps: 160 },
      { name: "360p", height: 360, videoKbps: 800, audioKbps: 128 },
    ]);
    expect(parseLadder(DEFAULT_LADDER).map((r) => r.name)).toEqual(["1080p", "720p", "480p", "360p"]);
  });

  it.each([
    ["", "at least one rung"],
    ["720", 'rung "720"'],
    ["720:abc", 'rung "720:abc"'],
    ["720:2800,720:1000", "appears twice"],
    ["10:800", "height must be"],
    ["720:10", "at least 50 kbps"],
  ])("refuses %j", (spec, message) => {
    expect(() => parseLadder(spec)).toThrow(message);
  });
});

describe("planLadder", () => {
  const twoRungs = parseLadder("720:2800,360:800,240:400");

  it("keeps the rungs at or below the source height: a 640x360 source gets 360p and 240p", () => {
    const plan = planLadder({ width: 640, height: 360, ...square }, twoRungs);
    expect(plan.map((r) => [r.name, r.width, r.height])).toEqual([
      ["360p", 640, 360],
      ["240p", 426, 240],
    ]);
  });

  it("never upscales and makes every dimension even, keeping the aspect ratio", () => {
    const plan = planLadder({ width: 1920, height: 1080, ...square }, parseLadder(DEFAULT_LADDER));
    expect(plan.map((r) => `${r.width}x${r.height}`)).toEqual(["1920x1080", "1280x720", "854x480", "640x360"]);
    const between = planLadder({ width: 1440, height: 1000, ...square }, parseLadder(DEFAULT_LADDER));
    expect(between.map((r) => r.name)).toEqual(["720p", "480p", "360p"]);
    for (const r of [...plan, ...between]) {
      expect(r.width % 2).toBe(0);
      expect(r.height % 2).toBe(0);
    }
    expect(between[0]!.width / between[0]!.height).toBeCloseTo(1.44, 1);
  });

  it("handles odd source sizes: the top rung is the source rounded down to even", () => {
    const plan = planLadder({ width: 321, height: 241, ...square }, twoRungs);
    expect(plan.map((r) => [r.name, r.width, r.height])).toEqual([["240p", 320, 240]]);
  });

  it("gives a source smaller than every rung one rung of its own size, not an upscale", () => {
    const plan = planLadder({ width: 176, height: 144, ...square }, twoRungs);
    expect(plan).toHaveLength(1);
    expect(plan[0]).toMatchObject({ name: "144p", width: 176, height: 144 });
  });

  it("plans rotated sources in display orientation (a 90° phone video is portrait)", () => {
    expect(displaySize({ width: 1280, height: 720, rotation: -90, sampleAspect: 1 })).toEqual({ width: 720, height: 1280 });
    const plan = planLadder({ width: 1280, height: 720, rotation: 90, sampleAspect: 1 }, parseLadder(DEFAULT_LADDER));
    expect(plan.map((r) => `${r.width}x${r.height}`)).toEqual(["608x1080", "406x720", "270x480", "202x360"]);
    expect(planLadder({ width: 1280, height: 720, rotation: 180, sampleAspect: 1 }, twoRungs)[0]).toMatchObject({ width: 1280, height: 720 });
  });

  it("applies a non-square sample aspect ratio (anamorphic DVD)", () => {
    const plan = planLadder({ width: 720, height: 480, rotation: 0, sampleAspect: 32 / 27 }, parseLadder("480:1400"));
    expect(plan[0]).toMatchObject({ width: 852, height: 480 });
  });

  it("caps the ladder's bitrate near the source's, keeping each rung's share", () => {
    const lean = planLadder({ width: 640, height: 360, ...square, videoKbps: 300 }, twoRungs);
    expect(lean.map((r) => r.videoKbps)).toEqual([360, 180]);
    expect(lean[0]!.maxrateKbps).toBe(396);
    const rich = planLadder({ width: 640, height: 360, ...square, videoKbps: 5000 }, twoRungs);
    expect(rich.map((r) => r.videoKbps)).toEqual([800, 400]);
    const unknown = planLadder({ width: 640, height: 360, ...square }, twoRungs);
    expect(unknown.map((r) => r.videoKbps)).toEqual([800, 400]);
    const starved = planLadder({ width: 640, height: 360, ...square, videoKbps: 20 }, twoRungs);
    expect(starved.map((r) => r.videoKbps)).toEqual([64, 64]);
  });
});
