// A real redis-server for a test file (scripts/redis.mjs): own loopback port, own temp dir, AOF on,
// restartable on the same port with the same data. stop() removes the temp dir.
import { type RedisOptions, type RunningRedis, startRedis as start } from "../../scripts/redis.mjs";

export type RedisServer = RunningRedis;

export function startRedis(opts: RedisOptions = {}): Promise<RedisServer> {
  return start({ quiet: true, ...opts });
}
