// HLS for the edge: pure modules (no I/O, no Workers APIs), so they can be unit-tested and benchmarked alone.
export * from "./ad-breaks";
export * from "./attributes";
export * from "./m3u8";
export * from "./plan-token";
export * from "./renditions";
export * from "./stitch";
export * from "./uri";
export * from "./timestamps";
