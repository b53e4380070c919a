// `npm run redis -- [--port 6390] [--dir .state/redis]`: an own redis-server on loopback (AOF on),
// the stack's (scripts/harness/redis.ts), until Ctrl-C.
import path from "node:path";
import { parseArgs } from "node:util";
import { ROOT } from "./harness/config";
import { startRedis } from "./harness/redis";

const { values } = parseArgs({ options: { port: { type: "string" }, dir: { type: "string" } } });
const port = values.port ? Number(values.port) : Number(process.env.REDIS_PORT) || 6390;
const dir = values.dir ?? process.env.REDIS_DIR ?? path.join(ROOT, ".state/redis");
const r = await startRedis({ port, dir, echo: true });
console.log(`redis: ${r.url} (data in ${r.dir}); Ctrl-C stops it`);
const stop = () => r.stop().then(() => process.exit(0));
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
