// The job lifecycle, in one home: a job is registered for an uploaded source (queued, its target
// processing), delivered by the bridge, reported on by the transcoder's callbacks (running,
// complete, failed), superseded by a newer upload or retired with a deleted target. Every state
// change of the jobs table goes through here; upload/, admin/, internal/ and bridge/ only call it.
export * from "./outcomes";
export * from "./register";
export * from "./retire";
export * from "./targets";
export * from "./urls";
