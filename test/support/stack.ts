// The tests' flavour of the development harness (scripts/harness/): the edge under `wrangler dev` with
// the tests' secrets, and the whole local stack (a Redis of its own, the edge, the transcoder wired to
// each other), each on free ports with its own temporary state, all stopped by stop().
import { AdminClient } from "../../scripts/harness/admin-client";
import { type DevEdge, type EdgeOptions, startEdge as startDevEdge } from "../../scripts/harness/edge";
import { freePort } from "../../scripts/harness/ports";
import { type RunningRedis, startRedis } from "../../scripts/harness/redis";
import { type RunningTranscoder, type TranscoderOptions, startTranscoder } from "../../scripts/harness/transcoder";
import { vendorHls } from "../../scripts/vendor.mjs";

export { ROOT } from "../../scripts/harness/config";
export { freePort, waitFor } from "../../scripts/harness/ports";
export { startRedis } from "../../scripts/harness/redis";
export type { DevEdge, RunningRedis as RedisServer, RunningTranscoder };

export const TEST_ADMIN_TOKEN = "e2e-admin-token";
export const TEST_SIGNING_SECRET = "e2e-signing-secret";

/** `wrangler dev` on free ports and a temp state dir, with the tests' admin token and signing secret. */
export function startEdge(opts: EdgeOptions = {}): Promise<DevEdge> {
  return startDevEdge({ ...opts, vars: { ADMIN_TOKEN: TEST_ADMIN_TOKEN, SIGNING_SECRET: TEST_SIGNING_SECRET, ...opts.vars } });
}

/** The transcoder with the tests' signing secret and the fastest x264 preset. */
export function startTestTranscoder(opts: Omit<TranscoderOptions, "signingSecret">): Promise<RunningTranscoder> {
  return startTranscoder({ signingSecret: TEST_SIGNING_SECRET, ...opts, env: { X264_PRESET: "ultrafast", ...opts.env } });
}

export interface TestStack {
  url: string;
  edge: DevEdge;
  redis: RunningRedis;
  transcoder: RunningTranscoder;
  intakeUrl: string;
  adminToken: string;
  admin: AdminClient;
  /** What the transcoder logged. */
  transcoderLogs(): string;
  stop(): Promise<void>;
}

export interface StackOptions {
  /** Extra vars of the edge (e.g. AD_BREAKS). */
  vars?: Record<string, string>;
  /** Extra environment of the transcoder (e.g. SEGMENT_SECONDS, X264_PRESET). */
  transcoderEnv?: Record<string, string>;
}

export async function startStack(opts: StackOptions = {}): Promise<TestStack> {
  vendorHls();
  const stoppers: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const stop of stoppers.reverse()) await stop().catch(() => undefined);
  };
  try {
    const redis = await startRedis();
    stoppers.push(() => redis.stop());
    const intakePort = await freePort();
    const intakeUrl = `http://127.0.0.1:${intakePort}`;
    const edge = await startEdge({ vars: { TRANSCODER_URL: intakeUrl, ...opts.vars } });
    stoppers.push(() => edge.stop());
    const transcoder = await startTestTranscoder({ edgeUrl: edge.url, redisUrl: redis.url, intakePort, env: opts.transcoderEnv });
    stoppers.push(() => transcoder.stop());
    return {
      url: edge.url,
      edge,
      redis,
      transcoder,
      intakeUrl,
      adminToken: TEST_ADMIN_TOKEN,
      admin: new AdminClient(edge.url, TEST_ADMIN_TOKEN),
      transcoderLogs: () => transcoder.logs(),
      stop: stopAll,
    };
  } catch (e) {
    await stopAll();
    throw e;
  }
}
