// The transcoder's configuration, from the environment, validated once at start-up.
import { tmpdir } from "node:os";
import path from "node:path";
import { z } from "zod";
import { SEGMENT_FORMATS } from "../../schema/keys";
import { DEFAULT_LADDER, type Rung, parseLadder } from "./ladder";
import { DEFAULT_SOURCE_LIMITS as LIMITS } from "./probe";

const int = (def: number, min: number, max = Number.MAX_SAFE_INTEGER) => z.coerce.number().int().min(min).max(max).default(def);
const bool = (def: boolean) =>
  z
    .enum(["true", "false", "1", "0", "yes", "no", "on", "off"])
    .default(def ? "true" : "false")
    .transform((v) => ["true", "1", "yes", "on"].includes(v));

const Env = z.object({
  /**
   * The edge's base URL: callbacks and URL refresh go to `${EDGE_URL}/api/v1/internal/jobs/...`, and
   * its origin is the only one sources are read from and outputs written to.
   */
  EDGE_URL: z.url().default("http://127.0.0.1:8787"),
  /** Lets EDGE_URL be plain http on a non-loopback host (a private network the operator vouches for). */
  ALLOW_INSECURE_EDGE: bool(false),
  SIGNING_SECRET: z.string().min(1, "SIGNING_SECRET is required (the edge's secret of the same name)"),
  REDIS_URL: z.string().regex(/^rediss?:\/\//, "a redis:// or rediss:// URL").default("redis://127.0.0.1:6379"),
  QUEUE_NAME: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/).default("transcode"),
  INTAKE_HOST: z.string().default("127.0.0.1"),
  INTAKE_PORT: int(8789, 0, 65535),
  BRIDGE: z.enum(["push", "pull"]).default("push"),
  /** WORKER=off: intake (or pull bridge) only, e.g. when workers run in other containers. */
  WORKER: bool(true),

  CONCURRENCY: int(1, 1, 64),
  JOB_ATTEMPTS: int(3, 1, 100),
  /** First retry delay; doubles each attempt (BullMQ exponential backoff). */
  JOB_BACKOFF_MS: int(30_000, 0),
  /** Hard limit of one attempt (download, ffmpeg, upload); ffmpeg is killed past it. */
  JOB_TIMEOUT_MS: int(3 * 60 * 60 * 1000, 1000),
  /** The worker renews its lock every half of this; a crashed worker's job is free again after it. */
  LOCK_DURATION_MS: int(60_000, 1000),
  STALLED_INTERVAL_MS: int(30_000, 500),
  MAX_STALLED_COUNT: int(3, 0, 100),
  PROGRESS_INTERVAL_MS: int(3_000, 0),
  TEMP_DIR: z.string().min(1).default(path.join(tmpdir(), "edge-stream-transcoder")),
  UPLOAD_CONCURRENCY: int(4, 1, 32),
  /** Tries of one file (PUT) or one download before the attempt fails. */
  HTTP_RETRIES: int(5, 1, 20),
  /** How long the complete callback keeps trying within one attempt before the attempt fails. */
  CALLBACK_RETRY_MS: int(120_000, 0),

  LADDER: z.string().default(DEFAULT_LADDER),
  SEGMENT_SECONDS: int(4, 2, 10),
  X264_PRESET: z
    .enum(["ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow"])
    .default("veryfast"),
  SILENT_AUDIO: bool(true),
  /**
   * The ladder's segments: ts (MPEG-TS, the default: every HLS player and every ad stored before fMP4 existed
   * plays it) or fmp4 (CMAF: EXT-X-MAP, HLS version 7). Ads are made in both either way.
   */
  SEGMENT_FORMAT: z.enum(SEGMENT_FORMATS).default("ts"),

  // Caps on what a source may cost us; a source over one fails for good (no retries).
  MAX_SOURCE_BYTES: int(LIMITS.maxSourceBytes, 1),
  /** Of the video stream as its packets measure it, not as the container claims. */
  MAX_DURATION_SECONDS: int(LIMITS.maxDurationSeconds, 1),
  /** Width × height of a frame, at every point of the stream (the decoder enforces it too). */
  MAX_FRAME_PIXELS: int(LIMITS.maxFramePixels, 64),
  /** Packets per second of the video stream, measured. */
  MAX_FRAME_RATE: int(LIMITS.maxFrameRate, 1, 1000),
  /** Seek previews: a storyboard (sprite sheets + WebVTT) of one thumbnail every this many seconds; 0: none. */
  STORYBOARD_INTERVAL_SECONDS: int(5, 0, 600),
  STORYBOARD_WIDTH: int(160, 32, 640),
  POSTER_AT: z.coerce.number().min(0).max(0.95).default(0.1),
  POSTER_HEIGHT: int(720, 64, 2160),

  // Pull mode (BRIDGE=pull): the Cloudflare Queues HTTP pull consumer.
  CF_API_BASE: z.url().default("https://api.cloudflare.com/client/v4"),
  CF_ACCOUNT_ID: z.string().optional(),
  CF_QUEUE_ID: z.string().optional(),
  CF_API_TOKEN: z.string().optional(),
  PULL_BATCH_SIZE: int(5, 1, 100),
  PULL_VISIBILITY_TIMEOUT_MS: int(60_000, 1000, 12 * 60 * 60 * 1000),
  PULL_INTERVAL_MS: int(2_000, 50),
  PULL_RETRY_DELAY_SECONDS: int(30, 0, 86_400),
});

export type Config = Omit<z.infer<typeof Env>, "LADDER"> & { LADDER: Rung[] };

export class ConfigError extends Error {
  override name = "ConfigError";
}

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i;

/** http is allowed only to this machine unless the operator says otherwise: signatures and grants travel in it. */
function checkEdgeUrl(raw: string, allowInsecure: boolean): void {
  const u = new URL(raw);
  if (u.protocol === "https:") return;
  if (u.protocol !== "http:") throw new ConfigError(`bad configuration: EDGE_URL: ${u.protocol} is not http(s)`);
  if (LOOPBACK.test(u.hostname) || allowInsecure) return;
  throw new ConfigError(
    `bad configuration: EDGE_URL ${u.origin} is plain http to another machine: callbacks, grants and media would cross the network in clear. ` +
      "Use https, or set ALLOW_INSECURE_EDGE=true if that network is private.",
  );
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // An empty variable means "not set", as in a compose file's `FOO=`.
  const given = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ""));
  const r = Env.safeParse(given);
  if (!r.success) {
    throw new ConfigError(`bad configuration: ${r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
  }
  let ladder: Rung[];
  try {
    ladder = parseLadder(r.data.LADDER);
  } catch (e) {
    throw new ConfigError(`bad configuration: LADDER: ${(e as Error).message}`);
  }
  const cfg: Config = { ...r.data, LADDER: ladder };
  checkEdgeUrl(cfg.EDGE_URL, cfg.ALLOW_INSECURE_EDGE);
  if (cfg.BRIDGE === "pull") {
    const missing = (["CF_ACCOUNT_ID", "CF_QUEUE_ID", "CF_API_TOKEN"] as const).filter((k) => !cfg[k]);
    if (missing.length) throw new ConfigError(`bad configuration: BRIDGE=pull needs ${missing.join(", ")}`);
  }
  return cfg;
}
