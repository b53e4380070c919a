// Types of ad-markers.js for the unit tests (not served: see ../.assetsignore).
export interface FragmentLike {
  sn: number | string;
  start: number;
  duration: number;
  cc?: number;
  tagList?: string[][];
}
export interface FoundAds {
  ads: Set<number | string>;
  ranges: { start: number; end: number }[];
  source: "cue" | "discontinuity" | "none";
}
export function findAds(fragments: FragmentLike[]): FoundAds;
