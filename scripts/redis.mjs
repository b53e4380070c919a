// An own redis-server for local runs and tests: loopback only, its own data directory, AOF on
// (a restart keeps queued jobs), no RDB snapshots, noeviction (BullMQ must never lose keys).
// Installed from Debian when missing (scripts/system-deps.sh redis).
//
//   import { startRedis } from "./redis.mjs";   const r = await startRedis(); … await r.stop();
//   node scripts/redis.mjs [--port 6390] [--dir .state/redis]   (runs until Ctrl-C)
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createConnection, createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

function onPath(name) {
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    if (dir && existsSync(path.join(dir, name))) return path.join(dir, name);
  }
  return null;
}

/** The redis-server binary: REDIS_SERVER, PATH, else installed from Debian. */
export function ensureRedisServer() {
  if (process.env.REDIS_SERVER) return process.env.REDIS_SERVER;
  let bin = onPath("redis-server");
  if (bin) return bin;
  const r = spawnSync("bash", [path.join(ROOT, "scripts/system-deps.sh"), "redis"], { stdio: "inherit" });
  if (r.status !== 0) throw new Error("redis-server is missing and could not be installed (scripts/system-deps.sh redis)");
  bin = onPath("redis-server");
  if (!bin) throw new Error("redis-server is still not on PATH after installing it");
  return bin;
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Sends PING over a raw socket; resolves true on +PONG. */
export function ping(port, timeoutMs = 1000) {
  return new Promise((resolve) => {
    const sock = createConnection({ host: "127.0.0.1", port });
    let buf = "";
    const done = (ok) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.on("error", () => done(false));
    sock.on("connect", () => sock.write("PING\r\n"));
    sock.on("data", (d) => {
      buf += d;
      if (buf.includes("\r\n")) done(buf.startsWith("+PONG"));
    });
  });
}

async function waitUntil(check, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/**
 * Starts redis-server. Options: port (default: a free one), dir (default: a new temp dir, removed
 * by stop()), appendonly (default true), quiet (default true: logs to <dir>/redis.log).
 * Returns { url, port, dir, pid, stop(), shutdown(), start(), restart() }: shutdown()/start() and
 * restart() keep port and data; stop() also removes a temp data dir.
 */
export async function startRedis(opts = {}) {
  const bin = ensureRedisServer();
  const port = opts.port ?? (await freePort());
  const ownDir = !opts.dir;
  const dir = opts.dir ? path.resolve(opts.dir) : mkdtempSync(path.join(tmpdir(), "redis-"));
  mkdirSync(dir, { recursive: true });
  const quiet = opts.quiet ?? true;
  const args = [
    "--port", String(port),
    "--bind", "127.0.0.1",
    "--protected-mode", "yes",
    "--dir", dir,
    "--save", "",
    "--appendonly", opts.appendonly === false ? "no" : "yes",
    "--appendfsync", "everysec",
    "--maxmemory-policy", "noeviction",
    "--daemonize", "no",
    "--logfile", quiet ? path.join(dir, "redis.log") : "",
  ];

  let child = null;
  const launch = async () => {
    if (await ping(port, 300)) throw new Error(`port ${port} already answers PING: another Redis is running there`);
    const c = spawn(bin, args, { stdio: quiet ? "ignore" : "inherit" });
    let exited = false;
    c.once("exit", () => (exited = true));
    await waitUntil(async () => {
      if (exited) throw new Error(`redis-server exited at start (see ${path.join(dir, "redis.log")})`);
      return ping(port, 300);
    }, 15_000, `redis-server on port ${port}`);
    child = c;
  };

  // SIGTERM: Redis fsyncs the AOF and exits cleanly.
  const halt = async () => {
    const c = child;
    child = null;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const gone = new Promise((r) => c.once("exit", r));
    c.kill("SIGTERM");
    const timer = setTimeout(() => c.kill("SIGKILL"), 10_000);
    await gone;
    clearTimeout(timer);
  };

  await launch();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    get pid() {
      return child?.pid;
    },
    /** Stops the server but keeps its port and data, for start() later (an outage). */
    async shutdown() {
      await halt();
    },
    async start() {
      if (!child) await launch();
    },
    async restart() {
      await halt();
      await launch();
    },
    async stop() {
      await halt();
      if (ownDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

// CLI
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const arg = (name) => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? process.argv[i + 1] : undefined;
  };
  const port = arg("port") ? Number(arg("port")) : Number(process.env.REDIS_PORT) || 6390;
  const dir = arg("dir") ?? process.env.REDIS_DIR ?? path.join(ROOT, ".state/redis");
  const r = await startRedis({ port, dir, quiet: false });
  console.log(`redis: ${r.url} (data in ${r.dir}); Ctrl-C stops it`);
  const stop = () => r.stop().then(() => process.exit(0));
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}
