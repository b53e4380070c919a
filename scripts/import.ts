// npm run import -- --from DIR [--edge URL] [--token T] [--dry-run] [--retranscode]
//
// Brings a site of the old system over: DIR/mongo/<collection>.json (mongoexport, Extended JSON v2,
// relaxed or canonical) and DIR/minio/<bucket>/<object> (mc mirror). See docs/migration.md.
// Exit status: 0 when everything was imported or already there, 1 when anything failed, 2 on bad usage.
import { existsSync, statSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { readExportDir } from "./import/collections";
import { importAll, type Options } from "./import/phases";
import { Tally } from "./import/progress";

const USAGE = "usage: npm run import -- --from DIR [--edge URL] [--token T] [--dry-run] [--retranscode]";

export function parseOptions(argv: string[], env: NodeJS.ProcessEnv = process.env): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      from: { type: "string" },
      edge: { type: "string" },
      token: { type: "string" },
      "dry-run": { type: "boolean" },
      retranscode: { type: "boolean" },
    },
  });
  if (!values.from) throw new Error(`--from is required\n${USAGE}`);
  // npm runs scripts from the package root; INIT_CWD is where the user typed the command.
  const dir = path.resolve(env.INIT_CWD ?? process.cwd(), values.from);
  if (!existsSync(dir) || !statSync(dir).isDirectory() || !existsSync(path.join(dir, "mongo"))) throw new Error(`--from: ${dir} has no mongo/ folder`);
  const edge = (values.edge ?? env.EDGE_URL ?? "http://127.0.0.1:8787").replace(/\/+$/, "");
  if (!/^https?:\/\/[^/?#]+$/.test(edge)) throw new Error("--edge: an http(s) origin, e.g. https://video.example.com");
  return { dir, edge, token: values.token ?? env.ADMIN_TOKEN ?? "dev-admin-token", dryRun: values["dry-run"] === true, retranscode: values.retranscode === true };
}

export async function main(argv = process.argv.slice(2)): Promise<number> {
  let opts: Options;
  try {
    opts = parseOptions(argv);
  } catch (e) {
    process.stderr.write(`import: ${(e as Error).message}\n`);
    return 2;
  }
  const tally = new Tally(opts.dryRun);
  const data = await readExportDir(opts.dir, tally);
  process.stderr.write(`read ${data.films.length} films, ${data.routes.length} route documents, ${data.days.length} day documents, ${data.ads.length} ads\n`);
  await importAll(opts, data, tally);
  process.stderr.write(tally.summary());
  return tally.failed > 0 ? 1 : 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  main().then(
    (code) => process.exit(code),
    (e) => {
      process.stderr.write(`import: ${String((e as Error).stack ?? e)}\n`);
      process.exit(2);
    },
  );
}
