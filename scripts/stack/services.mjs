// The three services of the local stack and how each is started and checked.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import { ensureRedisServer, ping } from "../redis.mjs";
import { waitFor } from "./ports.mjs";

const bin = (root, name) => path.join(root, "node_modules/.bin", name);

/** Programs from Debian (scripts/system-deps.sh installs the missing ones). */
export function ensureSystemDeps(root, deps) {
  const r = spawnSync("bash", [path.join(root, "scripts/system-deps.sh"), ...deps], { stdio: "inherit" });
  if (r.status !== 0) throw new Error(`could not install ${deps.join(", ")} (scripts/system-deps.sh failed)`);
}

/**
 * Redis with its data (append-only file) in the state dir, so queued jobs survive a restart. The
 * binary is found (or installed) by scripts/redis.mjs; the process runs in the stack's own process
 * group rather than through that helper's startRedis(), so that a Ctrl-C in the terminal reaches
 * the supervisor only and Redis stops last, after the transcoder has handed its jobs back.
 */
export async function startRedis(group, cfg) {
  const bin = ensureRedisServer();
  mkdirSync(cfg.redisDir, { recursive: true });
  const args = [
    "--port", String(cfg.redisPort),
    "--bind", "127.0.0.1",
    "--dir", cfg.redisDir,
    "--appendonly", "yes",
    "--save", "",
    // BullMQ needs every key it writes to stay: never evict.
    "--maxmemory-policy", "noeviction",
    "--daemonize", "no",
  ];
  group.start("redis", bin, args, { cwd: cfg.root });
  await waitFor("redis", () => ping(cfg.redisPort), 20_000, () => group.isRunning("redis"));
}

export function applyMigrations(cfg) {
  mkdirSync(cfg.edgeStateDir, { recursive: true });
  const r = spawnSync(
    bin(cfg.root, "wrangler"),
    ["d1", "migrations", "apply", "DB", "--local", "--persist-to", cfg.edgeStateDir],
    { cwd: cfg.root, env: { ...process.env, CI: "true", WRANGLER_SEND_METRICS: "false" }, encoding: "utf8" },
  );
  if (r.status !== 0) throw new Error(`D1 migrations failed:\n${r.stderr}${r.stdout}`);
  const applied = (r.stdout.match(/✅/g) ?? []).length;
  return applied;
}

export async function startEdge(group, cfg) {
  const args = ["dev", "--ip", "127.0.0.1", "--port", String(cfg.edgePort), "--persist-to", cfg.edgeStateDir];
  args.push("--show-interactive-dev-session=false", "--log-level", "info");
  if (cfg.inspectorPort) args.push("--inspector-port", String(cfg.inspectorPort));
  // The transcoder's intake and the public base URL follow the configured ports; secrets come
  // from .dev.vars, which wrangler dev reads by itself.
  args.push("--var", `TRANSCODER_URL:${cfg.intakeUrl}`, "--var", `PUBLIC_BASE_URL:${cfg.publicBaseUrl}`);
  group.start("edge", bin(cfg.root, "wrangler"), args, {
    cwd: cfg.root,
    env: { ...process.env, CI: "true", WRANGLER_SEND_METRICS: "false", NO_COLOR: "1" },
  });
  await waitFor("the edge (wrangler dev)", async () => (await fetch(`${cfg.edgeUrl}/healthz`)).ok, 120_000, () => group.isRunning("edge"));
}

export const transcoderEntry = (root) => path.join(root, "transcoder/src/main.ts");

export async function startTranscoder(group, cfg, signingSecret) {
  const entry = transcoderEntry(cfg.root);
  if (!existsSync(entry)) throw new Error(`${path.relative(cfg.root, entry)} is missing`);
  mkdirSync(cfg.transcoderTempDir, { recursive: true });
  group.start("transcoder", bin(cfg.root, "tsx"), [entry], {
    cwd: cfg.root,
    env: {
      ...process.env,
      // The job URLs the edge signs are at PUBLIC_BASE_URL, and the transcoder follows only URLs at
      // EDGE_URL's origin: the two must be the same.
      EDGE_URL: cfg.publicBaseUrl,
      SIGNING_SECRET: signingSecret,
      REDIS_URL: cfg.redisUrl,
      INTAKE_PORT: String(cfg.intakePort),
      TEMP_DIR: cfg.transcoderTempDir,
    },
  });
  await waitFor("the transcoder", async () => (await fetch(`${cfg.intakeUrl}/healthz`)).ok, 60_000, () => group.isRunning("transcoder"));
}
