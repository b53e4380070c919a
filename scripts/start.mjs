// `npm start`: the local stack. For now the edge alone (wrangler dev with local D1, R2 and Queues).
import { spawn, spawnSync } from "node:child_process";
import { copyFileSync, existsSync } from "node:fs";

const port = process.env.EDGE_PORT ?? "8787";
const persist = process.env.STATE_DIR ?? ".wrangler/state";

if (!existsSync(".dev.vars")) {
  copyFileSync(".dev.vars.example", ".dev.vars");
  console.log("created .dev.vars from .dev.vars.example (admin token: dev-admin-token)");
}

const migrate = spawnSync(
  "npx",
  ["wrangler", "d1", "migrations", "apply", "DB", "--local", "--persist-to", persist],
  { stdio: "inherit", env: { ...process.env, CI: "true" } },
);
if (migrate.status !== 0) process.exit(migrate.status ?? 1);

const edge = spawn(
  "npx",
  ["wrangler", "dev", "--ip", "127.0.0.1", "--port", port, "--persist-to", persist, "--show-interactive-dev-session=false"],
  { stdio: "inherit" },
);
console.log(`edge: http://127.0.0.1:${port}  (docs: /docs, health: /healthz)`);
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => edge.kill("SIGTERM"));
edge.on("exit", (code) => process.exit(code ?? 0));
