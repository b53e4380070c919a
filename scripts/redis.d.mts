// Types of scripts/redis.mjs (plain JavaScript so `node scripts/start.mjs` can import it without tsx).

export interface RedisOptions {
  /** Default: a free loopback port. */
  port?: number;
  /** Data directory (AOF). Default: a new temp dir, removed by stop(). */
  dir?: string;
  /** Default true. */
  appendonly?: boolean;
  /** Default true: log to <dir>/redis.log instead of the console. */
  quiet?: boolean;
}

export interface RunningRedis {
  url: string;
  port: number;
  dir: string;
  readonly pid: number | undefined;
  /** Stops (SIGTERM: the AOF is flushed) and starts again on the same port with the same data. */
  restart(): Promise<void>;
  /** Stops the server, keeping port and data for start(): an outage. */
  shutdown(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function ensureRedisServer(): string;
export function freePort(): Promise<number>;
export function ping(port: number, timeoutMs?: number): Promise<boolean>;
export function startRedis(opts?: RedisOptions): Promise<RunningRedis>;
