// Which segment of a stitched ad fires which beacon. Pure.
//
// The impression and `start` go with the first segment; firstQuartile, midpoint and thirdQuartile with the
// segment whose span [start, end) covers 25 %, 50 %, 75 % of the ad's duration; `complete` with the last
// segment. Several events may share a segment (a two-segment ad fires midpoint with its second).
import type { TrackedEvent } from "./vast";

export type BeaconEvent = "impression" | TrackedEvent;
export const BEACON_EVENTS: readonly BeaconEvent[] = ["impression", "start", "firstQuartile", "midpoint", "thirdQuartile", "complete"];

export function beaconsBySegment(durations: readonly number[]): BeaconEvent[][] {
  const out: BeaconEvent[][] = durations.map(() => []);
  if (durations.length === 0) return out;
  const total = durations.reduce((a, b) => a + b, 0);
  const covering = (t: number) => {
    let start = 0;
    for (let i = 0; i < durations.length; i++) {
      if (t < start + durations[i]!) return i;
      start += durations[i]!;
    }
    return durations.length - 1;
  };
  out[0]!.push("impression", "start");
  out[covering(total * 0.25)]!.push("firstQuartile");
  out[covering(total * 0.5)]!.push("midpoint");
  out[covering(total * 0.75)]!.push("thirdQuartile");
  out[durations.length - 1]!.push("complete");
  return out;
}
