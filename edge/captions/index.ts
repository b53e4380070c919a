// Captions for the edge: pure modules (no I/O, no Workers APIs) that the admin and playback routes call.
export * from "./lang";
export * from "./parse";
export * from "./playlist";
