// Starts the real edge under `wrangler dev` (workerd with local D1, R2 and Queues) for tests that
// drive it over HTTP from Node: the transcoder's, and the end-to-end ones.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { freePort, waitFor } from "./ports";

export const ROOT = path.resolve(import.meta.dirname, "../..");
export const TEST_ADMIN_TOKEN = "e2e-admin-token";
export const TEST_SIGNING_SECRET = "e2e-signing-secret";

export interface DevEdge {
  url: string;
  port: number;
  persistDir: string;
  /** Everything the worker logged (stdout and stderr), for assertions and post-mortems. */
  logs(): string;
  /** Runs SQL against the local D1 of this instance (wrangler d1 execute --local). */
  sql<T = Record<string, unknown>>(query: string): T[];
  stop(): Promise<void>;
}

export async function startEdge(opts: { vars?: Record<string, string> } = {}): Promise<DevEdge> {
  const port = await freePort();
  const inspector = await freePort();
  const persistDir = mkdtempSync(path.join(tmpdir(), "edge-dev-"));
  const wrangler = path.join(ROOT, "node_modules/.bin/wrangler");
  const env = { ...process.env, CI: "true", WRANGLER_SEND_METRICS: "false", NO_COLOR: "1" };

  const migrate = spawnSync(wrangler, ["d1", "migrations", "apply", "DB", "--local", "--persist-to", persistDir], {
    cwd: ROOT,
    env,
    encoding: "utf8",
  });
  if (migrate.status !== 0) throw new Error(`migrations failed: ${migrate.stderr}${migrate.stdout}`);

  const vars: Record<string, string> = {
    ADMIN_TOKEN: TEST_ADMIN_TOKEN,
    SIGNING_SECRET: TEST_SIGNING_SECRET,
    PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
    ...opts.vars,
  };
  const args = ["dev", "--ip", "127.0.0.1", "--port", String(port), "--inspector-port", String(inspector)];
  args.push("--persist-to", persistDir, "--show-interactive-dev-session=false", "--log-level", "info");
  for (const [k, v] of Object.entries(vars)) args.push("--var", `${k}:${v}`);

  let output = "";
  const child: ChildProcess = spawn(wrangler, args, { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"], detached: true });
  child.stdout!.on("data", (d) => (output += d));
  child.stderr!.on("data", (d) => (output += d));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));

  const url = `http://127.0.0.1:${port}`;
  try {
    await waitFor("wrangler dev", async () => (await fetch(`${url}/healthz`)).ok, 90_000);
  } catch (e) {
    killGroup(child);
    throw new Error(`${(e as Error).message}\n${output}`);
  }

  return {
    url,
    port,
    persistDir,
    logs: () => output,
    sql<T>(query: string): T[] {
      const r = spawnSync(wrangler, ["d1", "execute", "DB", "--local", "--persist-to", persistDir, "--json", "--command", query], {
        cwd: ROOT,
        env,
        encoding: "utf8",
      });
      if (r.status !== 0) throw new Error(`d1 execute failed: ${r.stderr}${r.stdout}`);
      return (JSON.parse(r.stdout) as { results: T[] }[])[0]?.results ?? [];
    },
    async stop() {
      killGroup(child);
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      rmSync(persistDir, { recursive: true, force: true });
    },
  };
}

/** wrangler spawns workerd; kill the whole process group so no port stays bound. */
function killGroup(child: ChildProcess) {
  if (child.pid === undefined || child.exitCode !== null) return;
  try {
    process.kill(-child.pid, "SIGTERM");
  } catch {
    child.kill("SIGTERM");
  }
}
