// `npm run seed -- --films 10000 [--seed 1] [--days 10] [--persist-to DIR] [--keep]`
//
// Fills the LOCAL D1 of `wrangler dev` / `npm start` with a synthetic catalog (scripts/seed-catalog.ts):
// writes it as SQL files of multi-row INSERTs and applies them with `wrangler d1 execute --local --file`.
// By default the films seeded earlier (and everything hanging off them) are deleted first; --keep adds.
// The state dir is the one `npm start` uses: --persist-to, else $EDGE_STATE_DIR, else $STATE_DIR/edge,
// else .wrangler/state. Best run while the local stack is stopped (two processes on one SQLite file).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { ROOT, stackConfig } from "./harness/config";
import { applyMigrations, wrangler } from "./harness/edge";
import { catalogSqlGroups, generateCatalog } from "./seed-catalog";

const { values } = parseArgs({
  options: {
    films: { type: "string", default: "1000" },
    seed: { type: "string", default: "1" },
    days: { type: "string", default: "10" },
    "persist-to": { type: "string" },
    keep: { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  },
});

if (values.help) {
  console.log("npm run seed -- --films N [--seed S] [--days D] [--persist-to DIR] [--keep]");
  process.exit(0);
}

function wholeNumber(name: string, raw: string, min: number, max: number): number {
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    console.error(`--${name} must be a whole number from ${min} to ${max}, got ${JSON.stringify(raw)}`);
    process.exit(2);
  }
  return Number(raw);
}

const films = wholeNumber("films", values.films, 1, 1_000_000);
const seed = wholeNumber("seed", values.seed, 0, 2 ** 32 - 1);
const days = wholeNumber("days", values.days, 1, 365);
const persistTo = values["persist-to"] ? path.resolve(ROOT, values["persist-to"]) : stackConfig().edgeStateDir;

function run(step: () => unknown) {
  try {
    step();
  } catch (e) {
    console.error((e as Error).message);
    process.exit(1);
  }
}

const started = Date.now();
console.error(`applying migrations to ${persistTo}`);
run(() => applyMigrations(persistTo));

const catalog = generateCatalog({ films, seed, days, now: Date.now() });
const groups = catalogSqlGroups(catalog, 24_000, 16_000_000);

const dir = mkdtempSync(path.join(tmpdir(), "seed-"));
try {
  // Deleting films cascades to film_people, film_views and episodes; the triggers clear the search index.
  if (!values.keep) groups[0]?.unshift("DELETE FROM films;");
  // One file per group: each `d1 execute --file` runs as one transaction, as catalogSqlGroups needs.
  // (Each wrangler start costs seconds, so groups are large: 10,000 films make one file.)
  groups.forEach((group, i) => {
    const file = path.join(dir, `seed-${String(i).padStart(3, "0")}.sql`);
    writeFileSync(file, `${group.join("\n")}\n`);
    process.stderr.write(`\rwriting part ${i + 1}/${groups.length}`);
    run(() => wrangler(["d1", "execute", "DB", "--local", "--persist-to", persistTo, "--file", file], `part ${i + 1}`));
  });
  process.stderr.write("\n");
  // The search index in one segment per table, as migration 0015_search_optimize leaves it: loading
  // a catalog wrote it in hundreds of small batches, and FTS5 looks every term up in every segment.
  const optimize = ["films_fts", "films_title", "films_intro", "films_people", "films_chars"].map((t) => `INSERT INTO ${t} (${t}) VALUES ('optimize');`);
  run(() => wrangler(["d1", "execute", "DB", "--local", "--persist-to", persistTo, "--command", optimize.join(" ")], "search index optimize"));
} finally {
  rmSync(dir, { recursive: true, force: true });
}

console.log(
  `seeded ${catalog.films.length} films, ${catalog.people.length} people, ${catalog.views.length} daily view rows ` +
    `(${days} days) into ${persistTo} in ${((Date.now() - started) / 1000).toFixed(1)} s`,
);
