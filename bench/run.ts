// `npm run bench`: every benchmark of the project in one run, each figure beside a baseline measured in
// the same run; writes BENCHMARKS.md and bench/results.json (see BENCHMARKS.md for what is measured).
//
//   npm run bench                       full run (100,000 films, 1 GiB upload; 12-20 min on 2 cores)
//   npm run bench -- --quick            scaled down (10,000 films, 100 MiB, shorter runs) for a fast check
//   npm run bench -- --only catalog,playback      some sections only
//   npm run bench -- --only captions             subtitle playlist and caption segments vs the stitched variant,
//                                                and SRT→WebVTT of a 2-hour film (no seeded catalog needed)
//   options: --films N  --seconds S (per endpoint)  --connections C  --upload-mib M  --clip-seconds S
//            --state DIR (use this already seeded edge state instead of seeding a fresh one; dev aid)
//   npm run bench -- --render bench/results.json   rewrite BENCHMARKS.md from a run's results (no new run)
//
// A full run writes BENCHMARKS.md and bench/results.json; --quick, --only or --state write them under
// bench/out/ instead, so a partial or scaled-down run never replaces the figures of a full one.
//   npm run bench -- --only hot --merge    a full-scale run of some sections replaces just those sections
//                                          of bench/results.json (each section says which run it is from)
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { catalogSpecs, querySet, runCatalogBench, runQuerySet } from "./catalog";
import { machine } from "./lib/machine";
import { prepareHlsFixture, storeHlsFixture } from "./lib/hls-fixture";
import { type BenchResults, type Section, renderMarkdown } from "./lib/report";
import { BENCH_ADMIN_TOKEN, ROOT, migrate, startDevEdge } from "./lib/services";
import { runHotBench } from "./hot";
import { runMemoryBench } from "./memory";
import { runPlaybackBench } from "./playback";
import { runCaptionsBench } from "./captions";

const SECTIONS = ["stitch", "transcode", "catalog", "playback", "captions", "hot", "memory"] as const;
type SectionName = (typeof SECTIONS)[number];

const { values } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    only: { type: "string" },
    films: { type: "string" },
    seconds: { type: "string" },
    connections: { type: "string" },
    "upload-mib": { type: "string" },
    "clip-seconds": { type: "string" },
    state: { type: "string" },
    render: { type: "string" },
    merge: { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  },
});
if (values.help) {
  console.log(readFileSync(import.meta.filename, "utf8").split("\n").filter((l) => l.startsWith("//")).map((l) => l.slice(3)).join("\n"));
  process.exit(0);
}

if (values.render) {
  // The prose changed, not the figures: render them again without measuring.
  const from = path.resolve(values.render);
  const to = from === path.join(ROOT, "bench/results.json") ? path.join(ROOT, "BENCHMARKS.md") : path.join(path.dirname(from), "BENCHMARKS.md");
  writeFileSync(to, renderMarkdown(JSON.parse(readFileSync(from, "utf8")) as BenchResults));
  console.error(`wrote ${path.relative(ROOT, to)} from ${path.relative(ROOT, from)}`);
  process.exit(0);
}

const quick = values.quick!;
const num = (name: string, raw: string | undefined, def: number, min: number, max: number): number => {
  if (raw === undefined) return def;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < min || n > max) {
    console.error(`--${name}: a whole number from ${min} to ${max}, got ${JSON.stringify(raw)}`);
    process.exit(2);
  }
  return n;
};
const only = values.only?.split(",").map((s) => s.trim()) ?? [...SECTIONS];
for (const s of only) {
  if (!(SECTIONS as readonly string[]).includes(s)) {
    console.error(`--only: sections are ${SECTIONS.join(", ")}; got ${JSON.stringify(s)}`);
    process.exit(2);
  }
}
const want = (s: SectionName) => only.includes(s);

const settings = {
  films: num("films", values.films, quick ? 10_000 : 100_000, 100, 1_000_000),
  seconds: num("seconds", values.seconds, quick ? 2 : 5, 1, 60),
  connections: num("connections", values.connections, 10, 1, 100),
  uploadMiB: num("upload-mib", values["upload-mib"], quick ? 100 : 1024, 20, 4000),
  clipSeconds: num("clip-seconds", values["clip-seconds"], quick ? 120 : 600, 20, 3600),
  // 2 runs of a 12 s source rather than C's default 1 of 24 s: the same work, and a median of two
  // interleaved runs is steadier on a shared machine; keeps the whole run near 15-20 minutes.
  transcodeSeconds: quick ? 6 : 12,
  transcodeRuns: quick ? 1 : 2,
  playbackContentSeconds: quick ? 120 : 600,
};
if (values.merge && (quick || values.only === undefined)) {
  console.error("--merge: only with --only (some sections) at full scale (no --quick)");
  process.exit(2);
}
const partial = !values.merge && (quick || values.only !== undefined || values.state !== undefined);
const outMd = partial ? path.join(ROOT, "bench/out/BENCHMARKS.md") : path.join(ROOT, "BENCHMARKS.md");
const outJson = partial ? path.join(ROOT, "bench/out/results.json") : path.join(ROOT, "bench/results.json");

const log = (s: string) => process.stderr.write(`${s}\n`);
const started = Date.now();
const results: BenchResults = {
  command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(" ")}` : ""}`,
  mode: quick ? "quick" : "full",
  machine: machine(),
  settings,
  sections: {},
  totalSeconds: 0,
};

async function section<T>(name: SectionName, fn: () => Promise<T>): Promise<void> {
  if (!want(name)) return;
  log(`\n== ${name} ==`);
  const t0 = Date.now();
  try {
    const data = await fn();
    results.sections[name] = { seconds: (Date.now() - t0) / 1000, data } as Section;
  } catch (e) {
    const error = e instanceof Error ? (e.stack ?? e.message) : String(e);
    log(`${name} FAILED: ${error}`);
    results.sections[name] = { seconds: (Date.now() - t0) / 1000, error: (e as Error).message ?? String(e) } as Section;
  }
}

/** Runs one of the benches that have their own npm script, and reads the JSON it wrote. */
function childBench(script: string, json: string, env: Record<string, string> = {}): unknown {
  const before = Date.now();
  const r = spawnSync(path.join(ROOT, "node_modules/.bin/tsx"), [path.join(ROOT, script)], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ["ignore", "inherit", "inherit"],
  });
  if (r.status !== 0) throw new Error(`${script} exited ${r.status}`);
  const file = path.join(ROOT, json);
  if (!existsSync(file) || statSync(file).mtimeMs < before) throw new Error(`${script} did not write ${json}`);
  return JSON.parse(readFileSync(file, "utf8"));
}

// CPU-bound benches first, while nothing else of ours runs.
await section("stitch", async () => childBench("bench/stitch.ts", "bench/out/stitch.json"));
await section("transcode", async () =>
  childBench("bench/transcode.ts", "bench/out/transcode.json", { BENCH_SECONDS: String(settings.transcodeSeconds), BENCH_RUNS: String(settings.transcodeRuns) }),
);

if (want("catalog") || want("playback") || want("captions") || want("hot")) {
  const own = values.state === undefined;
  // Captions alone need the episode fixture only, not a seeded catalog.
  const seed = own && (want("catalog") || want("playback") || want("hot"));
  const state = own ? mkdtempSync(path.join(tmpdir(), "bench-edge-")) : path.resolve(values.state!);
  try {
    let seedSeconds: number | null = null;
    if (seed) {
      log(`\n== seeding ${settings.films} films into a fresh edge state ==`);
      const t0 = Date.now();
      const r = spawnSync(path.join(ROOT, "node_modules/.bin/tsx"), [path.join(ROOT, "scripts/seed.ts"), "--films", String(settings.films), "--persist-to", state], {
        cwd: ROOT,
        stdio: ["ignore", "inherit", "inherit"],
      });
      if (r.status !== 0) throw new Error(`seeding failed (exit ${r.status})`);
      seedSeconds = (Date.now() - t0) / 1000;
    } else {
      migrate(state);
    }
    const fixture = await prepareHlsFixture(state, { contentSeconds: settings.playbackContentSeconds, adSeconds: 10, segmentSeconds: 4 });
    // Catalog and playback measure what each request costs D1 and the stitcher: the answer cache off.
    const edge = await startDevEdge(state, { CATALOG_FRESH_SECONDS: "0", CATALOG_STALE_SECONDS: "0" });
    const load = { connections: settings.connections, seconds: settings.seconds };
    let specs: Awaited<ReturnType<typeof catalogSpecs>> = [];
    let variant = "";
    try {
      await storeHlsFixture(edge.url, fixture);
      if (want("catalog") || want("hot")) specs = await catalogSpecs(edge.url, fixture.filmId);
      await section("catalog", async () => {
        const suite = await runCatalogBench(edge.url, specs, load);
        log("query set: search texts of every kind and filter combinations");
        const queries = await runQuerySet(edge.url, querySet(settings.films), load);
        return { films: settings.films, seedSeconds, stateDir: own ? "fresh" : state, ...load, ...suite, queries };
      });
      await section("playback", async () => {
        const result = await runPlaybackBench(edge.url, fixture, load);
        variant = result.endpoints[1]?.path ?? "";
        return { ...load, contentSeconds: fixture.contentSeconds, segmentSeconds: fixture.segmentSeconds, ...result };
      });
      // After playback: the captions it stores change the master playlist the playback section measures.
      await section("captions", async () => {
        const result = await runCaptionsBench(edge.url, fixture, { ...load, adminToken: BENCH_ADMIN_TOKEN });
        return { ...load, contentSeconds: fixture.contentSeconds, segmentSeconds: fixture.segmentSeconds, ...result };
      });
    } finally {
      await edge.stop();
    }
    // The hot paths as a site runs them: the answer cache on (its defaults), on the same data.
    if (want("hot")) {
      const cached = await startDevEdge(state);
      try {
        await section("hot", async () => {
          const master = `/api/v1/resource/media_list/${fixture.route}/${fixture.filmId}/${fixture.episode}`;
          const hot = [
            ...specs.filter((s) => /^(home|filter: MOVIE,|popular: type|ranked: ALL|film detail|film routes|search: 星际|ad: FILM)/.test(s.name)),
            { name: "master playlist", path: master },
            ...(variant ? [{ name: "variant playlist (stitched)", path: variant }] : []),
          ];
          return { ...load, ...(await runHotBench(cached.url, hot, { ...load, adminToken: BENCH_ADMIN_TOKEN })) };
        });
      } finally {
        await cached.stop();
      }
    }
  } catch (e) {
    for (const s of ["catalog", "playback", "captions", "hot"] as const) {
      if (want(s) && !results.sections[s]) results.sections[s] = { seconds: 0, error: (e as Error).message };
    }
    log(`catalog/playback setup FAILED: ${(e as Error).stack}`);
  } finally {
    if (own) rmSync(state, { recursive: true, force: true });
  }
}

await section("memory", () =>
  runMemoryBench({ bytes: settings.uploadMiB * 2 ** 20, clipSeconds: settings.clipSeconds, width: 320, height: 180, log }),
);

results.totalSeconds = (Date.now() - started) / 1000;
// bench/out/ exists only once a child bench wrote into it: not when --only leaves them all out.
mkdirSync(path.dirname(outJson), { recursive: true });
let written = results;
if (values.merge) {
  // The committed run, with this run's sections in place of its own: each section keeps its provenance.
  const base = JSON.parse(readFileSync(outJson, "utf8")) as BenchResults;
  const from = { command: results.command, date: results.machine.date };
  written = {
    ...base,
    sections: { ...base.sections, ...results.sections },
    mergedSections: { ...base.mergedSections, ...Object.fromEntries(Object.keys(results.sections).map((k) => [k, from])) },
  };
}
writeFileSync(outJson, `${JSON.stringify(written, null, 2)}\n`);
writeFileSync(outMd, renderMarkdown(written));
const failed = Object.entries(results.sections).filter(([, s]) => s && "error" in s);
log(`\nwrote ${path.relative(ROOT, outMd)} and ${path.relative(ROOT, outJson)} in ${(results.totalSeconds / 60).toFixed(1)} min`);
if (failed.length) {
  log(`failed sections: ${failed.map(([n]) => n).join(", ")}`);
  process.exit(1);
}
