import { describe, expect, it } from "vitest";
import { POST_ROLL, assignAds, parseAdBreaks, planBreakTimes } from "../../edge/hls";

describe("parseAdBreaks", () => {
  it("reads every documented form", () => {
    const r = parseAdBreaks(" pre, 0.3 ,30%,120, 90s,1:30,1:02:03.5, POST ");
    expect(r).toEqual({
      ok: true,
      breaks: [
        { kind: "pre" },
        { kind: "fraction", value: 0.3 },
        { kind: "fraction", value: 0.3 },
        { kind: "seconds", value: 120 },
        { kind: "seconds", value: 90 },
        { kind: "seconds", value: 90 },
        { kind: "seconds", value: 3723.5 },
        { kind: "post" },
      ],
    });
  });

  it("treats 0 and 0% as a pre-roll, 100% as a post-roll, a bare 1 as one second", () => {
    expect(parseAdBreaks("0,0%,100%,1")).toEqual({ ok: true, breaks: [{ kind: "pre" }, { kind: "pre" }, { kind: "post" }, { kind: "seconds", value: 1 }] });
  });

  it("turns ads off when empty, none or off", () => {
    for (const v of ["", "  ", "none", "OFF", undefined]) expect(parseAdBreaks(v)).toEqual({ ok: true, breaks: [] });
  });

  it("names the bad entry", () => {
    for (const [v, msg] of [
      ["0.3,,0.7", /entry 2 \(""\): empty entry/],
      ["0.3,middle", /entry 2 \("middle"\)/],
      ["-5", /entry 1/],
      ["150%", /cannot exceed 100/],
      ["1:75", /below 60/],
      ["xs", /seconds need a number/],
      [Array(21).fill("pre").join(","), /at most 20/],
    ] as const) {
      const r = parseAdBreaks(v);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error).toMatch(msg);
    }
  });
});

describe("planBreakTimes", () => {
  it("places fractions and seconds, merges duplicates, drops absolute times past the end", () => {
    const r = parseAdBreaks("0.7,pre,0.3,post,30s,500,0%");
    if (!r.ok) throw new Error(r.error);
    expect(planBreakTimes(r.breaks, 100)).toEqual([0, 30, 70, POST_ROLL]);
  });

  it("ignores fractions when the duration is unknown", () => {
    const r = parseAdBreaks("0.3,0.7,post");
    if (!r.ok) throw new Error(r.error);
    expect(planBreakTimes(r.breaks, 0)).toEqual([POST_ROLL]);
  });

  it("keeps nothing but pre and post for content shorter than every absolute break", () => {
    const r = parseAdBreaks("pre,120,300s,post");
    if (!r.ok) throw new Error(r.error);
    expect(planBreakTimes(r.breaks, 60)).toEqual([0, POST_ROLL]);
  });
});

describe("assignAds", () => {
  it("gives each break a different ad while there are enough, then goes round", () => {
    expect(assignAds(["a", "b"], [0, 10, 20])).toEqual([["a", 0], ["b", 10], ["a", 20]]);
    expect(assignAds(["a", "b", "c"], [5])).toEqual([["a", 5]]);
    expect(assignAds([], [5])).toEqual([]);
  });
});
