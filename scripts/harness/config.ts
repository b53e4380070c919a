// Where the local stack runs and keeps its data, from the environment (see README "Configuration").
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";

/** The repository's root. */
export const ROOT = path.resolve(import.meta.dirname, "../..");

function port(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new Error(`${name} must be a TCP port number (1-65535), got ${JSON.stringify(raw)}`);
  return n;
}

/** The intake port wrangler.toml's TRANSCODER_URL points at, so both sides agree by default. */
function intakePortOfWranglerToml(): number {
  const toml = readFileSync(path.join(ROOT, "wrangler.toml"), "utf8");
  const m = /^TRANSCODER_URL\s*=\s*"[^"]*:(\d+)\/?"/m.exec(toml);
  return m ? Number(m[1]) : 8789;
}

/** KEY=VALUE lines of a .dev.vars file (quotes stripped, comments skipped). */
export function readDevVars(file: string): Record<string, string> {
  const vars: Record<string, string> = {};
  if (!existsSync(file)) return vars;
  for (const line of readFileSync(file, "utf8").split(/\r?\n/)) {
    const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (!m) continue;
    let value = m[2]!;
    if (/^(["']).*\1$/.test(value)) value = value.slice(1, -1);
    vars[m[1]!] = value;
  }
  return vars;
}

export type StackConfig = ReturnType<typeof stackConfig>;

export function stackConfig(env: NodeJS.ProcessEnv = process.env) {
  const stateDir = path.resolve(ROOT, env.STATE_DIR || ".state");
  // The edge's local D1/R2/Queues default to wrangler's own place, so `npm run db:migrate`,
  // `npm run seed` and `wrangler d1 execute --local` see the same data as `npm start`.
  const edgeStateDir = path.resolve(ROOT, env.EDGE_STATE_DIR || (env.STATE_DIR ? path.join(stateDir, "edge") : ".wrangler/state"));
  const edgePort = port(env, "EDGE_PORT", 8787);
  const intakePort = port(env, "INTAKE_PORT", intakePortOfWranglerToml());
  const redisPort = port(env, "REDIS_PORT", 6390);
  const edgeUrl = `http://127.0.0.1:${edgePort}`;
  return {
    root: ROOT,
    stateDir,
    edgeStateDir,
    redisDir: path.join(stateDir, "redis"),
    transcoderTempDir: path.join(stateDir, "transcoder"),
    logDir: path.join(stateDir, "logs"),
    pidFile: path.join(stateDir, "stack.pids.json"),
    demoMarker: path.join(edgeStateDir, "demo-content.json"),
    edgePort,
    intakePort,
    redisPort,
    /** 0: wrangler's own default. */
    inspectorPort: port(env, "INSPECTOR_PORT", 0),
    edgeUrl,
    publicBaseUrl: env.PUBLIC_BASE_URL || edgeUrl,
    intakeUrl: `http://127.0.0.1:${intakePort}`,
    /** An external Redis: when set, the stack starts none of its own. */
    externalRedisUrl: env.REDIS_URL || "",
    redisUrl: env.REDIS_URL || `redis://127.0.0.1:${redisPort}`,
    devVarsFile: path.join(ROOT, ".dev.vars"),
  };
}
