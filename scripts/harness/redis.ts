// An own redis-server for the local stack, the tests and the benches: loopback only, its own data
// directory, AOF on (a restart keeps queued jobs), no RDB snapshots, noeviction (BullMQ must never lose
// keys). Installed from Debian when missing (scripts/system-deps.sh redis).
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createConnection } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { freePort, waitFor } from "./ports";
import { type ProcessGroup, type Service, spawnService } from "./processes";
import { ensureSystemDeps, onPath } from "./programs";

/** The redis-server binary: REDIS_SERVER, PATH, else installed from Debian. */
export function ensureRedisServer(): string {
  if (process.env.REDIS_SERVER) return process.env.REDIS_SERVER;
  let bin = onPath("redis-server");
  if (bin) return bin;
  ensureSystemDeps(["redis"]);
  bin = onPath("redis-server");
  if (!bin) throw new Error("redis-server is still not on PATH after installing it");
  return bin;
}

/** Sends PING over a raw socket; resolves true on +PONG. */
export function ping(port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = createConnection({ host: "127.0.0.1", port });
    let buf = "";
    const done = (ok: boolean) => {
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

export interface RedisOptions {
  /** Default: a free loopback port. */
  port?: number;
  /** Data directory (AOF). Default: a new temp dir, removed by stop(). */
  dir?: string;
  /** Default true. */
  appendonly?: boolean;
  /** Echo its log lines to our stdout (`npm run redis`). */
  echo?: boolean;
  /** Run as a member of this group (npm start). */
  group?: ProcessGroup;
}

export interface RunningRedis {
  url: string;
  port: number;
  dir: string;
  readonly pid: number | undefined;
  /** What it logged since the last (re)start. */
  logs(): string;
  /** Stops the server but keeps its port and data, for start() later (an outage). */
  shutdown(): Promise<void>;
  start(): Promise<void>;
  /** Stops (SIGTERM: the AOF is flushed) and starts again on the same port with the same data. */
  restart(): Promise<void>;
  /** Stops it; also removes a temp data dir. */
  stop(): Promise<void>;
}

export async function startRedis(opts: RedisOptions = {}): Promise<RunningRedis> {
  const bin = ensureRedisServer();
  const port = opts.port ?? (await freePort());
  const ownDir = !opts.dir;
  const dir = opts.dir ? path.resolve(opts.dir) : mkdtempSync(path.join(tmpdir(), "redis-"));
  mkdirSync(dir, { recursive: true });
  const args = [
    "--port", String(port),
    "--bind", "127.0.0.1",
    "--protected-mode", "yes",
    "--dir", dir,
    "--save", "",
    "--appendonly", opts.appendonly === false ? "no" : "yes",
    "--appendfsync", "everysec",
    // BullMQ needs every key it writes to stay: never evict.
    "--maxmemory-policy", "noeviction",
    "--daemonize", "no",
  ];

  let svc: Service | null = null;
  const launch = async () => {
    if (await ping(port, 300)) throw new Error(`port ${port} already answers PING: another Redis is running there`);
    const s = spawnService("redis", bin, args, { echo: opts.echo, group: opts.group });
    try {
      await waitFor(`redis-server on port ${port}`, () => ping(port, 300), 20_000, () => s.isRunning());
    } catch (e) {
      await s.stop();
      throw new Error(`${(e as Error).message}\n${s.logs()}`);
    }
    svc = s;
  };
  // SIGTERM: Redis fsyncs the AOF and exits cleanly.
  const halt = async () => {
    const s = svc;
    svc = null;
    await s?.stop();
  };

  await launch();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    get pid() {
      return (svc as Service | null)?.pid;
    },
    logs: () => (svc as Service | null)?.logs() ?? "",
    shutdown: halt,
    async start() {
      if (!svc) await launch();
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
