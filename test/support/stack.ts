// The whole local stack for end-to-end tests: a Redis of its own, the edge under `wrangler dev`
// (test/support/wrangler-dev.ts) and the transcoder (transcoder/src/main.ts) wired to each other,
// each on a free port with its own state, all stopped by stop().
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { AdminClient } from "../../scripts/stack/admin-client";
import { vendorHls } from "../../scripts/stack/vendor.mjs";
import { freePort, waitFor } from "./ports";
import { type RedisServer, startRedis } from "./redis";
import { type DevEdge, ROOT, TEST_ADMIN_TOKEN, TEST_SIGNING_SECRET, startEdge } from "./wrangler-dev";

export interface TestStack {
  url: string;
  edge: DevEdge;
  redis: RedisServer;
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

    const tempDir = mkdtempSync(path.join(tmpdir(), "transcoder-e2e-"));
    stoppers.push(async () => rmSync(tempDir, { recursive: true, force: true }));
    let logs = "";
    const child: ChildProcess = spawn(path.join(ROOT, "node_modules/.bin/tsx"), [path.join(ROOT, "transcoder/src/main.ts")], {
      cwd: ROOT,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
      env: {
        ...process.env,
        EDGE_URL: edge.url,
        SIGNING_SECRET: TEST_SIGNING_SECRET,
        REDIS_URL: redis.url,
        INTAKE_PORT: String(intakePort),
        TEMP_DIR: tempDir,
        X264_PRESET: "ultrafast",
        ...opts.transcoderEnv,
      },
    });
    child.stdout!.on("data", (d) => (logs += d));
    child.stderr!.on("data", (d) => (logs += d));
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    stoppers.push(async () => {
      killGroup(child);
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
      killGroup(child, "SIGKILL");
    });
    await waitFor("the transcoder's intake", async () => {
      if (child.exitCode !== null) throw new Error(`the transcoder exited (${child.exitCode}):\n${logs}`);
      return (await fetch(`${intakeUrl}/healthz`)).ok;
    }, 60_000).catch((e: Error) => {
      throw new Error(`${e.message}\n${logs}`);
    });

    return {
      url: edge.url,
      edge,
      redis,
      intakeUrl,
      adminToken: TEST_ADMIN_TOKEN,
      admin: new AdminClient(edge.url, TEST_ADMIN_TOKEN),
      transcoderLogs: () => logs,
      stop: stopAll,
    };
  } catch (e) {
    await stopAll();
    throw e;
  }
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals = "SIGTERM") {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    child.kill(signal);
  }
}
