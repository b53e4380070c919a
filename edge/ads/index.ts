// Ads from an ad server (issue 15). Pure: VAST/VMAP parsing, MediaFile choice, IAB macros and error codes,
// beacon placement. With I/O: the decision (decision.ts), creative conditioning (creatives.ts) and beacons
// (beacons.ts).
export * from "./errors";
export * from "./macros";
export * from "./media-file";
export * from "./urls";
export * from "./vast";
export * from "./vmap";
export * from "./placement";
export * from "./decision";
export * from "./creatives";
export * from "./beacons";
export * from "./fetch";
