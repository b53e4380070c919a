// The edge under `wrangler dev` (workerd with local D1, R2 and Queues), and wrangler's local D1 commands.
import { type SpawnSyncReturns, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { ROOT } from "./config";
import { freePort, waitFor } from "./ports";
import { type ProcessGroup, type Service, spawnService } from "./processes";

export const WRANGLER = path.join(ROOT, "node_modules/.bin/wrangler");

/** wrangler without prompts, metrics or colours. */
const wranglerEnv = (): NodeJS.ProcessEnv => ({ ...process.env, CI: "true", WRANGLER_SEND_METRICS: "false", NO_COLOR: "1" });

/** Runs a wrangler command to its end; throws with its output when it fails. */
export function wrangler(args: string[], what = `wrangler ${args.slice(0, 3).join(" ")}`): SpawnSyncReturns<string> {
  const r = spawnSync(WRANGLER, args, { cwd: ROOT, env: wranglerEnv(), encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`${what} failed:\n${r.stderr}${r.stdout}`);
  return r;
}

/** Applies the D1 migrations to a local state dir (what `wrangler dev --persist-to DIR` uses); answers how many ran. */
export function applyMigrations(persistDir: string): number {
  mkdirSync(persistDir, { recursive: true });
  const r = wrangler(["d1", "migrations", "apply", "DB", "--local", "--persist-to", persistDir], "D1 migrations");
  return (r.stdout.match(/✅/g) ?? []).length;
}

/** Runs SQL against the local D1 of a state dir (`wrangler d1 execute --local`); answers the rows. */
export function d1Execute<T = Record<string, unknown>>(persistDir: string, query: string): T[] {
  const r = wrangler(["d1", "execute", "DB", "--local", "--persist-to", persistDir, "--json", "--command", query], "d1 execute");
  return (JSON.parse(r.stdout) as { results: T[] }[])[0]?.results ?? [];
}

export interface EdgeOptions {
  /** Default: a free port. */
  port?: number;
  /** Default: a free port; 0: wrangler's own default. */
  inspectorPort?: number;
  /** Local D1/R2/Queues state, kept. Default: a new temp dir, removed by stop(). */
  persistDir?: string;
  /**
   * `--var`s over wrangler.toml's (and over .dev.vars): secrets, TRANSCODER_URL, AD_BREAKS …
   * PUBLIC_BASE_URL defaults to this edge's own URL.
   */
  vars?: Record<string, string>;
  /** Default "info"; "warn" keeps per-request lines out of a benchmark. */
  logLevel?: "debug" | "info" | "log" | "warn" | "error" | "none";
  /** Apply the D1 migrations first (default true). */
  migrate?: boolean;
  /** Run as a member of this group (npm start). */
  group?: ProcessGroup;
}

export interface DevEdge {
  url: string;
  port: number;
  persistDir: string;
  /** Root pid of the process group (wrangler's node; workerd below it). */
  pid: number;
  service: Service;
  /** Everything the worker logged (stdout and stderr), for assertions and post-mortems. */
  logs(): string;
  /** Runs SQL against this edge's local D1 (wrangler d1 execute --local). */
  sql<T = Record<string, unknown>>(query: string): T[];
  stop(): Promise<void>;
}

/** `wrangler dev` on 127.0.0.1; resolves once its /healthz answers 200. */
export async function startEdge(opts: EdgeOptions = {}): Promise<DevEdge> {
  const port = opts.port ?? (await freePort());
  const inspectorPort = opts.inspectorPort ?? (await freePort());
  const ownDir = !opts.persistDir;
  const persistDir = opts.persistDir ?? mkdtempSync(path.join(tmpdir(), "edge-dev-"));
  const removeOwnDir = () => {
    if (ownDir) rmSync(persistDir, { recursive: true, force: true });
  };
  try {
    if (opts.migrate !== false) applyMigrations(persistDir);
  } catch (e) {
    removeOwnDir();
    throw e;
  }

  const url = `http://127.0.0.1:${port}`;
  const args = ["dev", "--ip", "127.0.0.1", "--port", String(port), "--persist-to", persistDir];
  if (inspectorPort) args.push("--inspector-port", String(inspectorPort));
  args.push("--show-interactive-dev-session=false", "--log-level", opts.logLevel ?? "info");
  for (const [k, v] of Object.entries({ PUBLIC_BASE_URL: url, ...opts.vars })) args.push("--var", `${k}:${v}`);
  const service = spawnService("edge", WRANGLER, args, { cwd: ROOT, env: wranglerEnv(), group: opts.group });

  const stop = async () => {
    await service.stop();
    removeOwnDir();
  };
  try {
    await waitFor("the edge (wrangler dev)", async () => (await fetch(`${url}/healthz`)).ok, 120_000, () => service.isRunning());
  } catch (e) {
    await stop();
    throw new Error(`${(e as Error).message}\n${service.logs().slice(-20_000)}`);
  }
  return {
    url,
    port,
    persistDir,
    pid: service.pid,
    service,
    logs: () => service.logs(),
    sql: <T>(query: string) => d1Execute<T>(persistDir, query),
    stop,
  };
}
