// The development harness: one way to run the stack's parts for `npm start`, the demo and seed scripts,
// the tests (test/support) and the benches (bench/lib).
//   config.ts        where the local stack runs and keeps its data (env), .dev.vars
//   http.ts          one HTTP request on a connection of its own
//   ports.ts         free ports, "is it listening", waitFor a condition
//   processes.ts     a child in its own process group (Service); npm start's ProcessGroup and pid file
//   redis.ts         an own redis-server (AOF, noeviction), restartable on the same port and data
//   edge.ts          `wrangler dev` with vars, persist dir and ports; migrations and local D1 queries
//   transcoder.ts    `tsx transcoder/src/main.ts` wired to an edge and a Redis
//   admin-client.ts  the typed admin API client, job polling included (JobView from schema/jobs.ts)
//   media.ts         generated clips and images (ffmpeg lavfi)
//   programs.ts      programs from Debian (scripts/system-deps.sh)
export * from "./admin-client";
export * from "./config";
export * from "./edge";
export * from "./http";
export * from "./ports";
export * from "./processes";
export * from "./redis";
export * from "./programs";
export * from "./transcoder";
