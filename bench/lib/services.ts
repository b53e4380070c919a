// The benches' flavour of the development harness (scripts/harness/): the edge and the transcoder with
// the benches' secrets. The edge runs on a state dir the bench prepared (a seeded D1) at log level
// "warn" (per-request log lines would cost the edge, and the figures, for nothing); each service's root
// pid is there for the memory bench to sample its process tree.
import { type DevEdge, startEdge } from "../../scripts/harness/edge";
import { type RunningTranscoder, startTranscoder } from "../../scripts/harness/transcoder";

export { ROOT } from "../../scripts/harness/config";
export { applyMigrations as migrate, d1Execute as sql } from "../../scripts/harness/edge";

export const BENCH_ADMIN_TOKEN = "bench-admin-token";
export const BENCH_SIGNING_SECRET = "bench-signing-secret";

/** `wrangler dev` on a prepared state dir (migrations applied); the dir stays (the caller owns it). */
export function startDevEdge(persistDir: string, vars: Record<string, string> = {}): Promise<DevEdge> {
  return startEdge({
    persistDir,
    migrate: false,
    logLevel: "warn",
    vars: { ADMIN_TOKEN: BENCH_ADMIN_TOKEN, SIGNING_SECRET: BENCH_SIGNING_SECRET, ...vars },
  });
}

/** The transcoder against an edge and a Redis, with its own temp dir. */
export function startBenchTranscoder(opts: { edgeUrl: string; redisUrl: string; intakePort: number; env?: Record<string, string> }): Promise<RunningTranscoder> {
  return startTranscoder({ ...opts, signingSecret: BENCH_SIGNING_SECRET });
}
