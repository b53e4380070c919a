// The local stack's processes as the benches need them: like test/support (wrangler-dev.ts, stack.ts),
// but on a state dir the bench prepared beforehand (a seeded D1) and exposing each root pid, so the
// memory bench can sample the process trees. Each runs in its own process group; stop() ends the group.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { freePort, waitFor } from "../../test/support/ports";

export const ROOT = path.resolve(import.meta.dirname, "../..");
export const BENCH_ADMIN_TOKEN = "bench-admin-token";
export const BENCH_SIGNING_SECRET = "bench-signing-secret";

const wrangler = path.join(ROOT, "node_modules/.bin/wrangler");
const quietEnv = () => ({ ...process.env, CI: "true", WRANGLER_SEND_METRICS: "false", NO_COLOR: "1" });

export interface Service {
  pid: number;
  logs(): string;
  stop(): Promise<void>;
}

function spawnGroup(cmd: string, args: string[], env: NodeJS.ProcessEnv): Service & { child: ChildProcess } {
  let output = "";
  const child = spawn(cmd, args, { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"], detached: true });
  child.stdout!.on("data", (d) => (output = (output + d).slice(-200_000)));
  child.stderr!.on("data", (d) => (output = (output + d).slice(-200_000)));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const signal = (sig: NodeJS.Signals) => {
    if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
    try {
      process.kill(-child.pid, sig);
    } catch {
      child.kill(sig);
    }
  };
  if (child.pid === undefined) throw new Error(`could not start ${cmd}`);
  return {
    child,
    pid: child.pid,
    logs: () => output,
    async stop() {
      signal("SIGTERM");
      const killer = setTimeout(() => signal("SIGKILL"), 10_000);
      await exited;
      clearTimeout(killer);
    },
  };
}

/** Applies the D1 migrations to a local state dir (what `wrangler dev --persist-to DIR` will use). */
export function migrate(persistDir: string) {
  const r = spawnSync(wrangler, ["d1", "migrations", "apply", "DB", "--local", "--persist-to", persistDir], { cwd: ROOT, env: quietEnv(), encoding: "utf8" });
  if (r.status !== 0) throw new Error(`migrations failed: ${r.stderr}${r.stdout}`);
}

export function sql(persistDir: string, query: string) {
  const r = spawnSync(wrangler, ["d1", "execute", "DB", "--local", "--persist-to", persistDir, "--command", query], {
    cwd: ROOT,
    env: quietEnv(),
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(`d1 execute failed: ${r.stderr}${r.stdout}`);
}

export interface BenchEdge extends Service {
  url: string;
  persistDir: string;
}

/** `wrangler dev` on a prepared state dir (migrations applied); the dir stays (the caller owns it). */
export async function startDevEdge(persistDir: string, vars: Record<string, string> = {}): Promise<BenchEdge> {
  const port = await freePort();
  const inspector = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const all: Record<string, string> = { ADMIN_TOKEN: BENCH_ADMIN_TOKEN, SIGNING_SECRET: BENCH_SIGNING_SECRET, PUBLIC_BASE_URL: url, ...vars };
  const args = ["dev", "--ip", "127.0.0.1", "--port", String(port), "--inspector-port", String(inspector), "--persist-to", persistDir];
  // Log level "warn": per-request log lines would cost the edge (and the bench's figures) for nothing.
  args.push("--show-interactive-dev-session=false", "--log-level", "warn");
  for (const [k, v] of Object.entries(all)) args.push("--var", `${k}:${v}`);
  const svc = spawnGroup(wrangler, args, quietEnv());
  try {
    await waitFor("wrangler dev", async () => {
      if (svc.child.exitCode !== null) throw new Error("exited");
      return (await fetch(`${url}/healthz`)).ok;
    }, 120_000);
  } catch (e) {
    await svc.stop();
    throw new Error(`wrangler dev did not start: ${(e as Error).message}\n${svc.logs()}`);
  }
  return { ...svc, url, persistDir };
}

export interface BenchTranscoder extends Service {
  intakeUrl: string;
}

/** `tsx transcoder/src/main.ts` against an edge and a Redis, with its own temp dir. */
export async function startTranscoder(opts: { edgeUrl: string; redisUrl: string; intakePort: number; env?: Record<string, string> }): Promise<BenchTranscoder> {
  const tempDir = mkdtempSync(path.join(tmpdir(), "bench-transcoder-"));
  const svc = spawnGroup(path.join(ROOT, "node_modules/.bin/tsx"), [path.join(ROOT, "transcoder/src/main.ts")], {
    ...process.env,
    EDGE_URL: opts.edgeUrl,
    SIGNING_SECRET: BENCH_SIGNING_SECRET,
    REDIS_URL: opts.redisUrl,
    INTAKE_PORT: String(opts.intakePort),
    TEMP_DIR: tempDir,
    ...opts.env,
  });
  const intakeUrl = `http://127.0.0.1:${opts.intakePort}`;
  const stop = async () => {
    await svc.stop();
    rmSync(tempDir, { recursive: true, force: true });
  };
  try {
    await waitFor("the transcoder's intake", async () => {
      if (svc.child.exitCode !== null) throw new Error("exited");
      return (await fetch(`${intakeUrl}/healthz`)).ok;
    }, 60_000);
  } catch (e) {
    await stop();
    throw new Error(`the transcoder did not start: ${(e as Error).message}\n${svc.logs()}`);
  }
  return { ...svc, intakeUrl, stop };
}
