// `npm start`: the whole local stack in one command: Redis, the edge (wrangler dev with local D1,
// R2 and Queues) and the transcoder, wired together with the secrets of .dev.vars; demo content on
// the first start. Ctrl-C or SIGTERM stops every process it started. Its parts are the harness's
// (scripts/harness/), the same the tests and the benches start.
//   npm start [-- --no-demo | --demo]
// Configuration (env): EDGE_PORT (8787), INTAKE_PORT (wrangler.toml's TRANSCODER_URL port, 8789),
// REDIS_PORT (6390) or REDIS_URL (use that Redis, start none), STATE_DIR (.state), EDGE_STATE_DIR
// (.wrangler/state, or $STATE_DIR/edge when STATE_DIR is set), PUBLIC_BASE_URL, INSPECTOR_PORT,
// DEMO=0 (never load the demo content), DEMO_SECONDS (length of the demo clips, 15).
import { copyFileSync, existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { readDevVars, stackConfig } from "./harness/config";
import { applyMigrations, startEdge } from "./harness/edge";
import { isPortFree, waitUntilClosed } from "./harness/ports";
import { ProcessGroup } from "./harness/processes";
import { startRedis } from "./harness/redis";
import { ensureSystemDeps } from "./harness/programs";
import { TSX, startTranscoder } from "./harness/transcoder";
import { vendorHls } from "./vendor.mjs";

const argv = process.argv.slice(2);
const cfg = stackConfig();
const rel = (p: string) => {
  const r = path.relative(process.cwd(), p);
  return r.startsWith("..") ? p : r || ".";
};
const say = (text: string) => process.stdout.write(`[stack] ${text}\n`);

process.chdir(cfg.root);
if (!existsSync(cfg.devVarsFile)) {
  copyFileSync(path.join(cfg.root, ".dev.vars.example"), cfg.devVarsFile);
  say("created .dev.vars from .dev.vars.example (admin token: dev-admin-token)");
}
const devVars = readDevVars(cfg.devVarsFile);
if (!devVars.SIGNING_SECRET || !devVars.ADMIN_TOKEN) {
  say(".dev.vars must set ADMIN_TOKEN and SIGNING_SECRET (see .dev.vars.example)");
  process.exit(1);
}
vendorHls();

await ProcessGroup.reapStale(cfg.pidFile, say);
const wanted: [string, number][] = [
  ["EDGE_PORT", cfg.edgePort],
  ["INTAKE_PORT", cfg.intakePort],
  ...(cfg.externalRedisUrl ? [] : [["REDIS_PORT", cfg.redisPort] as [string, number]]),
  ...(cfg.inspectorPort ? [["INSPECTOR_PORT", cfg.inspectorPort] as [string, number]] : []),
];
for (const [name, port] of wanted) {
  if (!(await isPortFree(port))) {
    say(`port ${port} (${name}) is in use: is another stack running? Stop it, or choose another port: ${name}=<port> npm start`);
    process.exit(1);
  }
}

ensureSystemDeps(["ffmpeg"]);

const group = new ProcessGroup({ logDir: cfg.logDir, pidFile: cfg.pidFile });
let stopping = false;

async function shutdown(code: number) {
  if (stopping) return;
  stopping = true;
  say("stopping…");
  await group.stopAll();
  const stuck: string[] = [];
  for (const [name, port] of wanted) if (!(await waitUntilClosed(port, 5000))) stuck.push(`${name} ${port}`);
  if (stuck.length) say(`still bound after stopping: ${stuck.join(", ")}`);
  else say("stopped; every port is free");
  process.exit(code);
}

for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.on(sig, () => {
    if (stopping) {
      // A second Ctrl-C: no more waiting.
      group.killAll();
      process.exit(130);
    }
    void shutdown(0);
  });
}

group.onUnexpectedExit = (name, code, signal) => {
  if (name === "demo") return;
  say(`${name} exited unexpectedly (${signal ?? `code ${code}`}); see ${rel(path.join(cfg.logDir, `${name}.log`))}`);
  void shutdown(1);
};

try {
  if (cfg.externalRedisUrl) say(`using the Redis at ${cfg.redisUrl}`);
  else {
    say(`starting Redis on port ${cfg.redisPort} (data in ${rel(cfg.redisDir)})`);
    // In the stack's own process group rather than the terminal's, so that a Ctrl-C reaches the
    // supervisor only and Redis stops last, after the transcoder has handed its jobs back.
    await startRedis({ port: cfg.redisPort, dir: cfg.redisDir, group });
  }
  say(`applying D1 migrations (local data in ${rel(cfg.edgeStateDir)})`);
  applyMigrations(cfg.edgeStateDir);
  say(`starting the edge (wrangler dev) on port ${cfg.edgePort}`);
  // Secrets come from .dev.vars, which wrangler dev reads by itself; the transcoder's intake and the
  // public base URL follow the configured ports.
  await startEdge({
    port: cfg.edgePort,
    inspectorPort: cfg.inspectorPort,
    persistDir: cfg.edgeStateDir,
    migrate: false,
    vars: { TRANSCODER_URL: cfg.intakeUrl, PUBLIC_BASE_URL: cfg.publicBaseUrl, ...edgeVarsFromEnv() },
    group,
  });
  say(`starting the transcoder (intake on port ${cfg.intakePort})`);
  await startTranscoder({
    // The job URLs the edge signs are at PUBLIC_BASE_URL, and the transcoder follows only URLs at
    // EDGE_URL's origin: the two must be the same.
    edgeUrl: cfg.publicBaseUrl,
    redisUrl: cfg.redisUrl,
    signingSecret: devVars.SIGNING_SECRET,
    intakePort: cfg.intakePort,
    tempDir: cfg.transcoderTempDir,
    group,
  });
} catch (e) {
  say(`start failed: ${(e as Error).message}`);
  await shutdown(1);
}

const lines = [
  "",
  "edge-stream is running:",
  `  website      ${cfg.edgeUrl}/`,
  `  admin page   ${cfg.edgeUrl}/admin   (token: the ADMIN_TOKEN of .dev.vars${devVars.ADMIN_TOKEN === "dev-admin-token" ? ", dev-admin-token" : ""})`,
  `  API docs     ${cfg.edgeUrl}/docs   (OpenAPI: ${cfg.edgeUrl}/api/v1/openapi.json)`,
  `  transcoder   ${cfg.intakeUrl}/healthz`,
  `  redis        ${cfg.redisUrl}${cfg.externalRedisUrl ? " (external)" : `   (data: ${rel(cfg.redisDir)})`}`,
  `  edge data    ${rel(cfg.edgeStateDir)}   (D1, R2, Queues)`,
  `  logs         ${rel(cfg.logDir)}/`,
  "Ctrl-C stops everything.",
  "",
];
process.stdout.write(lines.join("\n") + "\n");
say("ready");

/** True once a demo load ran to the end against this edge state. */
function demoLoaded(): boolean {
  try {
    return (JSON.parse(readFileSync(cfg.demoMarker, "utf8")) as { complete?: boolean }).complete === true;
  } catch {
    return false;
  }
}
const demoWanted = argv.includes("--demo") || (!argv.includes("--no-demo") && process.env.DEMO !== "0" && !demoLoaded());
if (demoWanted) {
  say("loading the demo content (first start; `npm start -- --no-demo` or DEMO=0 skips it, `npm run demo` reloads it)");
  const demo = group.start("demo", TSX, [path.join(cfg.root, "scripts/demo.ts"), "--edge", cfg.edgeUrl, "--marker", cfg.demoMarker], {
    cwd: cfg.root,
    env: { ...process.env, ADMIN_TOKEN: devVars.ADMIN_TOKEN },
  });
  const code = await demo.exited;
  if (stopping) await new Promise(() => {});
  say(code === 0 ? `demo content ready: open ${cfg.edgeUrl}/` : `the demo content failed (exit ${code}); see ${rel(path.join(cfg.logDir, "demo.log"))}; retry with npm run demo`);
}

/** Edge vars given to `npm start` in its own environment (`AD_SERVER_URL=… npm start`) override wrangler.toml's. */
function edgeVarsFromEnv(): Record<string, string> {
  const names = ["AD_SERVER_URL", "AD_DECISION_TIMEOUT_MS", "AD_BREAKS", "MEDIA_SIGNING", "CORS_ORIGINS"];
  return Object.fromEntries(names.flatMap((n) => (process.env[n] !== undefined ? [[n, process.env[n]!]] : [])));
}
