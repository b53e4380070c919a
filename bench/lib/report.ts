// BENCHMARKS.md from the results of one `npm run bench`: every table is filled from that run's figures,
// so the file and bench/results.json always agree. The prose around the tables is written here; what
// depends on the figures is computed, never typed in.
import type { Flatness, MemoryResult, TransferFigures, WorkerdAround } from "../memory";
import type { HotResult } from "../hot";
import type { PlaybackResult } from "../playback";
import type { CaptionsResult } from "../captions";
import type { QuerySetResult } from "../catalog";
import type { EndpointFigures, SuiteResult } from "./endpoints";
import { median } from "./load";
import { type Machine, describeMachine } from "./machine";

export type Section = { seconds: number; data: unknown } | { seconds: number; error: string };

export interface BenchResults {
  command: string;
  mode: "quick" | "full";
  machine: Machine;
  settings: Record<string, number>;
  sections: Partial<Record<"stitch" | "transcode" | "catalog" | "playback" | "captions" | "hot" | "memory", Section>>;
  totalSeconds: number;
  /** Sections replaced by a later full-scale run of some sections (`--merge`): that run's command and date. */
  mergedSections?: Record<string, { command: string; date: string }>;
}

// The JSON the child benches write (bench/stitch.ts, bench/transcode.ts), as far as it is shown here.
interface StitchJson {
  input: { segments: number; segmentSeconds: number; renditions: number; breaks: number[]; adSegments: number };
  rows: { what: string; medianMs: number; p90Ms: number; samples: number }[];
  speedup: { served: number; cold: number };
}
interface TranscodeJson {
  date?: string;
  ffmpeg: { version: string };
  source: { width: number; height: number; seconds: number; fps: number };
  ladder: string[];
  preset: string;
  runs: number;
  rows: { case: string; wallSeconds: number; realtimeFactor: number; vsBaseline: number }[];
  ratios: {
    transcoderOverFfmpegByHand: number;
    fluentOverFfmpegByHand: number;
    perRungSequentialOverOneProcess: number;
    perRungParallelOverOneProcess: number;
    /** Runs from before fMP4 and seek previews were measured lack these. */
    fmp4OverTs?: number;
    storyboardOverLadder?: number;
  };
  bytes?: { ts: number; fmp4: number; storyboard: number; storyboardSheets: number };
  command: string;
}
type CatalogData = SuiteResult & { films: number; seedSeconds: number | null; connections: number; seconds: number; queries?: QuerySetResult };
type PlaybackData = PlaybackResult & { connections: number; seconds: number; contentSeconds: number; segmentSeconds: number };

const f0 = (x: number) => x.toFixed(0);
const f1 = (x: number) => x.toFixed(1);
const f2 = (x: number) => x.toFixed(2);
const ms = (x: number) => (x < 1 ? x.toFixed(3) : x < 10 ? x.toFixed(2) : x.toFixed(1));
const ratio = (x: number) => `${x.toFixed(2)}×`;
const int = (x: number) => x.toLocaleString("en-US");

function table(head: string[], align: ("l" | "r")[], rows: (string | number)[][]): string {
  const sep = align.map((a) => (a === "r" ? "---:" : "---"));
  return [head, sep, ...rows.map((r) => r.map(String))].map((r) => `| ${r.join(" | ")} |`).join("\n");
}

function failed(s: Section | undefined): string | null {
  if (!s) return "_Not run in this run (see `--only`)._";
  if ("error" in s) return `**Failed in this run:** \`${s.error.replaceAll("`", "'").split("\n")[0]}\``;
  return null;
}

function stitchSection(s: Section | undefined): string {
  const out = ["## 1. Stitching: ours against `@eyevinn/hls-splice`", "", "Command: `npm run bench:stitch` (bench/stitch.ts, run by `npm run bench`). Pure CPU, in Node, no I/O.", ""];
  const no = failed(s);
  if (no) return [...out, no].join("\n");
  const d = (s as { data: StitchJson }).data;
  out.push(
    `Input: one variant playlist of a ${f1((d.input.segments * d.input.segmentSeconds) / 3600)}-hour episode (${int(d.input.segments)} segments of ${d.input.segmentSeconds} s, ` +
      `${d.input.renditions} renditions) with ${d.input.breaks.length} ad breaks of ${d.input.adSegments} segments; both produce the same ${int(d.input.segments + d.input.breaks.length * d.input.adSegments)} segments and cue tags (checked before timing).`,
    "",
    table(["measure", "median (ms)", "p90 (ms)", "samples"], ["l", "r", "r", "r"], d.rows.map((r) => [r.what, ms(r.medianMs), ms(r.p90Ms), r.samples])),
    "",
    `**Ratio** (hls-splice per variant / ours): **${f0(d.speedup.served)}×** when the parsed playlists are cached (what the edge does per request), ` +
      `**${f0(d.speedup.cold)}×** when ours parses everything from text too. hls-splice cannot stitch one variant alone or reuse a parse, ` +
      "so its whole pipeline is divided by the number of variants it produces, which flatters it.",
  );
  return out.join("\n");
}

function endpointRows(endpoints: EndpointFigures[], costColumns: { header: string; of: (e: EndpointFigures) => string }[]): (string | number)[][] {
  // autocannon's latencies are whole milliseconds.
  return endpoints.map((e) => [e.name, ...costColumns.map((c) => c.of(e)), f0(e.p50Ms), f0(e.p99Ms), f0(e.rps), ratio(e.throughputRatio)]);
}

function baselineLine(b: SuiteResult["baseline"]): string {
  return (
    `Baseline: \`GET /api/v1/ping\` (same worker, same middleware, no I/O), run ${b.runs.length} times between the others: ` +
    `${b.runs.map((r) => f0(r.rps)).join(", ")} req/s (median ${f0(b.rps)}, spread ${f0(b.spread * 100)} %), p50 ${b.runs.map((r) => f0(r.p50Ms)).join(" / ")} ms. ` +
    "Each route's ratio is to the mean of the baseline runs just before and just after it, since the machine's load drifts."
  );
}

function catalogSection(s: Section | undefined, m: BenchResults): string {
  const out = [`## 2. Catalog at ${int(m.settings.films ?? 0)} films`, ""];
  const no = failed(s);
  if (no) return [...out, no].join("\n");
  const d = (s as { data: CatalogData }).data;
  out.push(
    `Command: \`npm run bench\` (bench/catalog.ts). A fresh local edge state seeded by \`npm run seed -- --films ${d.films}\`` +
      (d.seedSeconds !== null ? ` (took ${f0(d.seedSeconds)} s)` : "") +
      `, served by \`wrangler dev\` (workerd, its local D1 on SQLite); autocannon on loopback, ${d.connections} connections, ${d.seconds} s per route after a 1 s warm-up, ` +
      "latency from request written to response read. **Rows read** is what the handler itself reports in `X-D1-Rows-Read` (D1's `meta.rows_read`, what D1 bills). " +
      "**× ping** is the route's throughput over the baseline's.",
    "",
    table(
      ["route", "D1 rows read", "items", "p50 (ms)", "p99 (ms)", "req/s", "× ping"],
      ["l", "r", "r", "r", "r", "r", "r"],
      endpointRows(d.endpoints, [
        { header: "rows", of: (e) => e.probe.cost["x-d1-rows-read"] ?? "–" },
        { header: "items", of: (e) => (e.probe.items === null ? "–" : String(e.probe.items)) },
      ]),
    ),
    "",
    baselineLine(d.baseline),
  );
  const rowsOf = (e: EndpointFigures) => Number(e.probe.cost["x-d1-rows-read"] ?? Number.NaN);
  // The bound the catalog's own tests hold list routes to: three pages plus a little.
  const bound = 3 * 60 + 50;
  const bounded = d.endpoints.filter((e) => rowsOf(e) <= bound);
  const heavy = d.endpoints.filter((e) => rowsOf(e) > bound).sort((a, b) => rowsOf(b) - rowsOf(a));
  const byRatio = [...d.endpoints].sort((a, b) => b.throughputRatio - a.throughputRatio);
  const boundedRatios = bounded.map((e) => e.throughputRatio);
  out.push(
    "",
    `What it means: ${bounded.length} of ${d.endpoints.length} routes read at most ${bound} rows (3 pages of 60, plus 50) however large the catalog is: ` +
      "the lists walk one index in the order asked and stop when the page is full, detail and routes look up one key. " +
      (heavy.length
        ? `The others read in proportion to what matches, not to the page: ${heavy.map((e) => `${e.name} ${int(rowsOf(e))} rows for ${e.probe.items ?? "?"} film${e.probe.items === 1 ? "" : "s"}`).join("; ")}. `
        : "") +
      (boundedRatios.length
        ? `The bounded routes serve ${ratio(Math.min(...boundedRatios))} to ${ratio(Math.max(...boundedRatios))} of the trivial route's throughput; `
        : "") +
      `overall from ${ratio(byRatio[0]!.throughputRatio)} (${byRatio[0]!.name}) down to ${ratio(byRatio.at(-1)!.throughputRatio)} (${byRatio.at(-1)!.name}). ` +
      "What a route costs beyond the trivial one is its D1 queries (local SQLite in a separate workerd actor), building the JSON and the ETag hash of the body. " +
      "The absolute req/s are those of `wrangler dev` on this machine with autocannon on the same two cores, not of Cloudflare's network.",
  );
  if (d.queries) out.push("", querySetSection(d.queries, d));
  return out.join("\n");
}

function querySetSection(q: QuerySetResult, d: CatalogData): string {
  const search = q.kinds.filter((k) => !k.kind.startsWith("filter"));
  const filters = q.kinds.filter((k) => k.kind.startsWith("filter"));
  const rowsOf = (ks: typeof q.kinds) => ks.map((k) => [
    k.kind, k.queries, k.withResults, int(k.rows.max), int(k.rows.p99), int(k.rows.median), f0(k.p50Ms), f0(k.p99Ms), f0(k.homeP50Ms), ratio(k.latencyRatio),
  ]);
  const head = ["kind", "queries", "with films", "rows max", "rows p99", "rows median", "p50 (ms)", "p99 (ms)", "home p50 (ms)", "p50 / home"];
  const align: ("l" | "r")[] = ["l", "r", "r", "r", "r", "r", "r", "r", "r", "r"];
  const maxSearch = Math.max(...search.map((k) => k.rows.max));
  const maxFilter = Math.max(...filters.map((k) => k.rows.max));
  const worstRatio = [...search].sort((a, b) => b.latencyRatio - a.latencyRatio)[0];
  const homeP50 = median(q.home.map((h) => h.p50Ms));
  return [
    "### The query set",
    "",
    `${int(search.reduce((n, k) => n + k.queries, 0))} search texts (scripts/catalog-queries.ts: cut from the seeded catalog's titles, introductions and names, ` +
      `20 of each kind) and ${int(filters.reduce((n, k) => n + k.queries, 0))} filter requests (every subset of type, category, location and release year once per order, then 100 random combinations). ` +
      `Each request is probed once for its rows read; then each kind is one autocannon run of ${d.seconds} s with ${d.connections} connections cycling through its requests, ` +
      `and the home list (\`GET /api/v1/affair\`) is run the same way before the first kind, after every third and after the last (${q.home.length} runs, p50 ${q.home.map((h) => f0(h.p50Ms)).join(" / ")} ms). ` +
      "**p50 / home** is the kind's median latency over that of the home runs just before and after it." +
      (q.distinct
        ? " Every request of these runs, the home list's included, is made distinct by a throwaway query parameter `_` holding a new unique id (autocannon's idReplacement; the routes ignore it, the answer cache keys on it): " +
          "with the answer cache off, concurrent requests for one URL still share one render (edge/lib/answer-cache.ts, its in-flight map), so the home list repeated as one URL over " +
          `${d.connections} connections measured that sharing more than the route (a probe counting \`X-Cache: HIT\` answers under the same load at 100,000 films found 71–75 % of the home list's answers shared, against 36–54 % for kinds cycling through 20 requests, whose connections walk the list in step). ` +
          (q.homeRepeated ? `Run that way once in this run, the home list had a p50 of ${f0(q.homeRepeated.p50Ms)} ms, against ${f0(homeP50)} ms (the median of its runs) with distinct requests. ` : "") +
          "Runs before this one (BENCHMARKS.md before issue 10's latency work) repeated the home list's one URL."
        : ""),
    "",
    table(head, align, rowsOf(search)),
    "",
    table(head, align, rowsOf(filters)),
    "",
    `What it means: no search text read more than ${int(maxSearch)} rows (the bound is 2,000), no filter combination more than ${int(maxFilter)} (the bound is 1,000). ` +
      (worstRatio ? `The slowest kind of search, ${worstRatio.kind}, had a median latency ${ratio(worstRatio.latencyRatio)} the home list's (home p50 ${f0(homeP50)} ms over its runs).` : ""),
  ].join("\n");
}

function playbackSection(s: Section | undefined): string {
  const out = ["## 3. Stitched playlists through the edge", ""];
  const no = failed(s);
  if (no) return [...out, no].join("\n");
  const d = (s as { data: PlaybackData }).data;
  out.push(
    `Command: \`npm run bench\` (bench/playback.ts), same edge and load settings as the catalog. One ready episode of ${d.contentSeconds} s ` +
      `(${d.segments.content} segments of ${d.segmentSeconds} s per rendition, 2 renditions) and two ready FILM ads, real HLS made by ffmpeg and stored in the local R2; ` +
      `the variant URI (with its signed ad plan) is the one the master playlist gave. The stitched variant has ${d.segments.stitched} segments and ${d.segments.adBreaks} ad breaks.`,
    "",
    table(
      ["request", "D1 batches", "R2 reads (warm)", "p50 (ms)", "p99 (ms)", "req/s", "× ping"],
      ["l", "r", "r", "r", "r", "r", "r"],
      endpointRows(d.endpoints, [
        { header: "d1", of: (e) => e.probe.cost["x-d1-batches"] ?? "–" },
        { header: "r2", of: (e) => e.probe.cost["x-r2-reads"] ?? "–" },
      ]),
    ),
    "",
    baselineLine(d.baseline),
    "",
    `The first variant request of a fresh isolate read ${d.cold.cost["x-r2-reads"] ?? "?"} playlists from R2 (every rendition's, for a common target duration, and the ads'); ` +
      "after that they come from the isolate's LRU cache, so a variant request costs one D1 batch and the stitch. " +
      "The master playlist does not report its cost in headers; by its code it is one D1 batch (the episode and the random ad pick) and an HMAC to sign the plan, no R2 read.",
  );
  return out.join("\n");
}

type CaptionsData = CaptionsResult & { connections: number; seconds: number; contentSeconds: number; segmentSeconds: number };

function captionsSection(s: Section | undefined): string {
  const out = ["## 3c. Captions", ""];
  const no = failed(s);
  if (no) return [...out, no].join("\n");
  const d = (s as { data: CaptionsData }).data;
  const variant = d.endpoints[0]!;
  const byName = new Map(d.vsVariant.map((r) => [r.name, r]));
  out.push(
    `Command: \`npm run bench -- --only captions\` (bench/captions.ts; also part of \`npm run bench\`), the playback section's edge and episode ` +
      `(${d.contentSeconds} s, ${d.segmentSeconds} s segments, two FILM ads stitched in). One language of a 2-hour film's captions, ` +
      `${int(d.file.cues)} cues (${f1(d.file.srtBytes / 1024)} KiB of SRT, stored as ${f1(d.file.vttBytes / 1024)} KiB of WebVTT), ` +
      "is uploaded through the admin API; the subtitle playlist and the caption segment URLs are the ones the master and the subtitle playlist give. " +
      `The subtitle playlist has ${d.segments.subtitles} segments for the variant's ${d.segments.variant} (the same timeline, ads included); ` +
      `a caption segment here is ${int(d.segments.captionSegmentBytes)} bytes` +
      (d.segments.emptyAdSegmentBytes !== null ? `, an ad's empty one ${d.segments.emptyAdSegmentBytes}` : "") +
      `. Every **× variant** compares a route with the stitched variant playlist measured in the same run.`,
    "",
    table(
      ["request", "R2 reads", "bytes", "alone p50 (ms)", "alone p90 (ms)", "alone × variant", "load p50 (ms)", "load p99 (ms)", "req/s", "× ping", "req/s × variant"],
      ["l", "r", "r", "r", "r", "r", "r", "r", "r", "r", "r"],
      d.endpoints.map((e, i) => {
        const r = byName.get(e.name);
        const alone = d.paired.rows[i]!;
        return [
          e.name,
          e.probe.cost["x-r2-reads"] ?? "–",
          int(e.probe.bytes),
          ms(alone.medianMs),
          ms(alone.p90Ms),
          i === 0 ? "1.00×" : ratio(alone.vsVariant),
          f0(e.p50Ms),
          f0(e.p99Ms),
          f0(e.rps),
          ratio(e.throughputRatio),
          r ? ratio(r.throughputRatio) : "1.00×",
        ];
      }),
    ),
    "",
    baselineLine(d.baseline),
    "",
    `**Alone**: ${d.paired.rounds} rounds of one request per route at a time, on a fresh connection each, the routes taking turns (order rotated each round); ` +
      "**alone × variant** is the median over rounds of the route's latency over the variant's in the same round, the figure least moved by the shared machine. " +
      `**Load**: autocannon as in the other sections (${d.connections} connections, ${d.seconds} s per route); **req/s × variant** is the route's ratio to ping over the variant's (each against the ping runs just before and after it). ` +
      "Caption segments report no cost headers: by the code they read no D1 (the `ts=` in their URL carries the timeline base) and, once an isolate has parsed the stored WebVTT (kept in an LRU), no R2 either; the subtitle playlist costs what the variant does (the same rows and the same stitcher) plus building its synthetic playlists.",
    "",
    `**Parsing** (in-process, median of ${d.parse.samples} runs after a warm-up): the upload route checks and converts the ${int(d.file.cues)}-cue SRT to WebVTT in ${ms(d.parse.medianMs)} ms ` +
      `(p90 ${ms(d.parse.p90Ms)} ms, ${f1(d.parse.usPerCue)} µs per cue), once per upload; the caption segment route parses the stored WebVTT in ${ms(d.parseStored.medianMs)} ms ` +
      `(p90 ${ms(d.parseStored.p90Ms)} ms), once per isolate and file. Against ${f0(variant.p50Ms)} ms p50 for one stitched variant request under load, neither is what a viewer waits for.`,
  );
  return out.join("\n");
}

function hotSection(s: Section | undefined): string {
  const out = ["## 3b. Hot paths with the answer cache on", ""];
  const no = failed(s);
  if (no) return [...out, no].join("\n");
  const d = (s as { data: HotResult & { connections: number; seconds: number } }).data;
  const byPath = new Map(d.queries.map((q) => [q.path, q]));
  out.push(
    "Command: `npm run bench` (bench/hot.ts), the same data as above, served by a second `wrangler dev` with the default configuration " +
      "(catalog answers fresh 30 s, then 30 s stale-while-revalidate; the catalog version re-read every 5 s). " +
      `**D1 / 1,000** is the sum of \`X-D1-Queries\` (round trips each answer reports) over ${d.queries[0]?.requests ?? "?"} requests, ${d.connections} at a time, each from another viewer; ` +
      "**served** counts `X-Cache` of those answers. The load columns are autocannon's, as above.",
    "",
    table(
      ["route", "D1 / 1,000", "served", "p50 (ms)", "p99 (ms)", "req/s", "× ping"],
      ["l", "r", "l", "r", "r", "r", "r"],
      endpointRows(d.endpoints, [
        { header: "d1", of: (e) => f1(byPath.get(e.path)?.perThousand ?? Number.NaN) },
        { header: "served", of: (e) => Object.entries(byPath.get(e.path)?.cache ?? {}).map(([k, v]) => `${k} ${v}`).join(", ") },
      ]),
    ),
    "",
    baselineLine(d.baseline),
    "",
    `Staleness after an admin write (a film created through the admin API, then the home list polled every 20 ms): ${d.stalenessMs.map((x) => `${f0(x)} ms`).join(", ")}. ` +
      "Locally one isolate serves everything, and the write's isolate knows the new catalog version at once; on Cloudflare another isolate sees it within `CATALOG_VERSION_CHECK_SECONDS` (5 s).",
  );
  return out.join("\n");
}

function transcodeSection(s: Section | undefined): string {
  const out = ["## 4. Transcoder", "", "Command: `npm run bench:transcode` (bench/transcode.ts, run by `npm run bench`)."];
  const no = failed(s);
  if (no) return [...out, "", no].join("\n");
  const d = (s as { data: TranscodeJson }).data;
  out.push(
    `Source: generated ${d.source.width}×${d.source.height} ${d.source.fps} fps, ${d.source.seconds} s; ladder ${d.ladder.join(", ")}; x264 preset ${d.preset}; ffmpeg ${/version (\S+)/.exec(d.ffmpeg.version)?.[1] ?? d.ffmpeg.version}; median of ${d.runs} run(s)${d.date ? `, measured ${d.date.slice(0, 16).replace("T", " ")} UTC` : ""}.`,
    "",
    table(["case", "wall (s)", "realtime ×", "vs ffmpeg by hand"], ["l", "r", "r", "r"], d.rows.map((r) => [r.case, f2(r.wallSeconds), f2(r.realtimeFactor), ratio(r.vsBaseline)])),
    "",
    `**Ratios**: the transcoder's whole job (probe, ladder, playlists, poster) takes ${ratio(d.ratios.transcoderOverFfmpegByHand)} the time of the same ffmpeg command run by hand ` +
      `(fluent-ffmpeg alone ${ratio(d.ratios.fluentOverFfmpegByHand)}); one ffmpeg process per rung takes ${ratio(d.ratios.perRungSequentialOverOneProcess)} (one after another) ` +
      `and ${ratio(d.ratios.perRungParallelOverOneProcess)} (all at once) the time of the one-process ladder, which decodes the source once.`,
    "",
  );
  if (d.ratios.fmp4OverTs !== undefined && d.ratios.storyboardOverLadder !== undefined && d.bytes) {
    const tsRow = d.rows[0]!;
    const fmp4Row = d.rows.find((r) => /fMP4/.test(r.case));
    out.push(
      `**fMP4/CMAF vs MPEG-TS** (\`SEGMENT_FORMAT\`): the same ladder takes ${ratio(d.ratios.fmp4OverTs)} the time ` +
        `(realtime factor ${f2(tsRow.realtimeFactor)}× in TS, ${f2(fmp4Row?.realtimeFactor ?? 0)}× in fMP4: the encode is the same, only the muxer differs) ` +
        `and its segments weigh ${ratio(d.bytes.fmp4 / d.bytes.ts)} the bytes (no 188-byte TS packets, PES headers or PAT/PMT; init segments included). ` +
        `The encode is identical and only the muxer differs, so a time ratio away from 1 is the shared machine's noise (${d.runs} runs on 2 cores other sessions were using), not the container. ` +
        `A FILM ad is made in both containers, so an ad costs about twice its ladder (ads are seconds long).`,
      "",
      `**Seek previews** (storyboard: one 160-pixel thumbnail every 5 s, 5×5 per JPEG sheet, WebVTT with \`#xywh\`): a second ffmpeg pass that decodes ` +
        `the source again and encodes only small JPEGs takes ${ratio(d.ratios.storyboardOverLadder)} the ladder's time and writes ` +
        `${d.bytes.storyboardSheets} sheet(s), ${f1(d.bytes.storyboard / 1024)} KiB for ${d.source.seconds} s (${f2(d.bytes.storyboard / 1024 / (d.source.seconds / 60))} KiB per minute of video).`,
      "",
    );
  }
  out.push(
    "<details><summary>The baseline command</summary>",
    "",
    "```",
    d.command,
    "```",
    "",
    "</details>",
  );
  return out.join("\n");
}

const flatRow = (label: string, marks: number[], f: Flatness) => [
  label,
  ...marks.map((m, i) => (i === 0 ? f1(f.atMiB[m]!) : `${f1(f.atMiB[m]!)} (${f2(f.ratioToFirst[m]!)})`)),
  f1(f.peakMiB),
];
const aroundRow = (label: string, bytes: number, a: WorkerdAround) => [
  label,
  `${f0(bytes / 2 ** 20)} MiB`,
  f1(a.seconds),
  f1(a.beforeMiB),
  f1(a.peakMiB),
  f1(a.afterMiB),
  f1(a.peakMiB - a.beforeMiB),
];
const markHead = (marks: number[]) => marks.map((m) => `${m} %`);
const marksOf = (f: Flatness) => Object.keys(f.atMiB).map(Number).sort((a, b) => a - b);

function memorySection(s: Section | undefined): string {
  const out = ["## 5. Memory during a large signed multipart upload and its transcode", ""];
  const no = failed(s);
  if (no) return [...out, no].join("\n");
  const d = (s as { data: MemoryResult }).data;
  const L = d.large;
  const S = d.small;
  const UPLOAD_MARKS = marksOf(L.upload.edge);
  const TRANSCODE_MARKS = marksOf(L.transcode.transcoder);
  const size = (t: TransferFigures) => `${f0(t.file.bytes / 2 ** 20)} MiB`;
  out.push(
    "Command: `npm run bench` (bench/memory.ts). A local stack of its own: Redis, the edge under `wrangler dev`, the transcoder (`tsx transcoder/src/main.ts`, default settings). " +
      `The upload CLI (\`npm run upload\`: signed multipart, 16 MiB parts, 3 at a time) sends a ${size(L)} file whose first ${f1(L.file.clipBytes / 2 ** 20)} MiB are a ${L.file.clipSeconds} s 320×180 clip ` +
      "and the rest one MP4 `free` box (so every byte is uploaded and downloaded, and the transcode is the clip's); the transcoder then downloads it through a signed URL, transcodes and uploads the HLS. " +
      `The same is done first with a ${size(S)} file (${S.file.clipSeconds} s clip). RSS is summed over each process tree (edge: wrangler's node, workerd, esbuild; transcoder: tsx, node, ffmpeg, ffprobe), ` +
      `sampled from /proc every ${d.intervalMs} ms (${int(d.samples)} samples). Idle before the first upload: edge ${f1(d.idle.edgeMiB)} MiB, transcoder ${f1(d.idle.transcoderMiB)} MiB.`,
    "",
    `**Flatness**: RSS (MiB) of the edge when ${UPLOAD_MARKS.join("/")} % of the ${size(L)} file was uploaded, and of the transcoder at ${TRANSCODE_MARKS.join("/")} % of its transcode ` +
      `(the last mark is ${TRANSCODE_MARKS.at(-1)} %: at 100 % ffmpeg has already exited); in brackets the ratio to the RSS at 10 %:`,
    "",
    table(["edge during the upload", ...markHead(UPLOAD_MARKS), "peak"], ["l", "r", "r", "r", "r", "r", "r"], [
      flatRow(`${f1(L.upload.seconds)} s, ${f0(L.upload.mibPerSecond)} MiB/s`, UPLOAD_MARKS, L.upload.edge),
    ]),
    "",
    table(["transcoder during the transcode", ...markHead(TRANSCODE_MARKS), "peak"], ["l", "r", "r", "r", "r", "r", "r"], [
      flatRow(`${f1(L.transcode.seconds)} s, ${f1(L.transcode.realtimeFactor)}× realtime`, TRANSCODE_MARKS, L.transcode.transcoder),
    ]),
    "",
    `**Peaks by phase** (MiB), and the ratio of the ${size(L)} run to the ${size(S)} run:`,
    "",
    table(["phase", "process tree", size(S), size(L), "large / small"], ["l", "l", "r", "r", "r"], [
      ["signed multipart upload", "edge", f1(S.upload.edge.peakMiB), f1(L.upload.edge.peakMiB), ratio(d.largeOverSmall.edgeUpload)],
      ["signed multipart upload", "edge: workerd only", f1(S.upload.edgeWorkerdPeakMiB), f1(L.upload.edgeWorkerdPeakMiB), ratio(L.upload.edgeWorkerdPeakMiB / S.upload.edgeWorkerdPeakMiB)],
      ["signed multipart upload", "upload CLI", f1(S.upload.uploaderPeakMiB), f1(L.upload.uploaderPeakMiB), ratio(L.upload.uploaderPeakMiB / S.upload.uploaderPeakMiB)],
      ["complete (assemble the parts, sniff, queue the job)", "edge", f1(S.complete.edgePeakMiB), f1(L.complete.edgePeakMiB), ratio(L.complete.edgePeakMiB / S.complete.edgePeakMiB)],
      ["transcoder downloads the source", "edge", f1(S.download.edgePeakMiB), f1(L.download.edgePeakMiB), ratio(d.largeOverSmall.edgeDownload)],
      ["transcoder downloads the source", "edge: workerd only", f1(S.download.edgeWorkerdPeakMiB), f1(L.download.edgeWorkerdPeakMiB), ratio(L.download.edgeWorkerdPeakMiB / S.download.edgeWorkerdPeakMiB)],
      ["transcoder downloads the source", "transcoder", f1(S.download.transcoderPeakMiB), f1(L.download.transcoderPeakMiB), ratio(d.largeOverSmall.transcoderDownload)],
      ["transcode", "transcoder (all)", f1(S.transcode.transcoder.peakMiB), f1(L.transcode.transcoder.peakMiB), ratio(d.largeOverSmall.transcoderTranscode)],
      ["transcode", "transcoder: node only", f1(S.transcode.nodePeakMiB), f1(L.transcode.nodePeakMiB), ratio(L.transcode.nodePeakMiB / S.transcode.nodePeakMiB)],
      ["transcode", "transcoder: ffmpeg only", f1(S.transcode.ffmpegPeakMiB), f1(L.transcode.ffmpegPeakMiB), ratio(L.transcode.ffmpegPeakMiB / S.transcode.ffmpegPeakMiB)],
      ["HLS output upload", "edge", f1(S.output.edgePeakMiB), f1(L.output.edgePeakMiB), ratio(L.output.edgePeakMiB / S.output.edgePeakMiB)],
      ["HLS output upload", "transcoder", f1(S.output.transcoderPeakMiB), f1(L.output.transcoderPeakMiB), ratio(L.output.transcoderPeakMiB / S.output.transcoderPeakMiB)],
    ]),
    "",
    `**Control: the edge's streaming against the local R2's.** workerd's RSS (MiB) around single requests through the same signed-URL handlers ` +
      "(`/api/v1/internal/objects/…`, which answer `new Response(obj.body)` and store `c.req.raw.body`): an object stored whole by one PUT, made before any multipart upload, " +
      "and the transcoder's GET of the large source, which R2 holds as the parts of a multipart upload:",
    "",
    table(["request", "object", "seconds", "before", "peak", "2 s after", "peak − before"], ["l", "r", "r", "r", "r", "r", "r"], [
      aroundRow("signed PUT, stored whole", d.singleBlob.bytes, d.singleBlob.put),
      aroundRow("signed GET of it", d.singleBlob.bytes, d.singleBlob.get),
      aroundRow(`signed GET of the multipart source (${Math.ceil(L.file.bytes / (16 * 2 ** 20))} parts)`, L.file.bytes, d.multipartDownload),
    ]),
    "",
    `Timings of the ${size(L)} run: upload ${f1(L.upload.seconds)} s, complete ${f1(L.complete.seconds)} s, download ${f1(L.download.seconds)} s, ` +
      `transcode ${f1(L.transcode.seconds)} s, output ${f1(L.output.seconds)} s; job ${L.job.status} after ${L.job.attempts} attempt(s).`,
    "",
    memoryVerdict(d),
  );
  return out.join("\n");
}

/** A peak that grew by less than this while the file grew tenfold did not grow with the file. */
const FLAT = 1.5;

function memoryVerdict(d: MemoryResult): string {
  const L = d.large;
  const S = d.small;
  const grew = L.file.bytes / S.file.bytes;
  const longer = L.file.clipSeconds / S.file.clipSeconds;
  const checks = [
    { what: "the edge's peak during the upload", r: d.largeOverSmall.edgeUpload },
    { what: "the edge's peak while serving the download", r: d.largeOverSmall.edgeDownload },
    { what: "the transcoder's peak during the download", r: d.largeOverSmall.transcoderDownload },
    { what: `the transcoder's peak during a transcode ${f1(longer)}× longer`, r: d.largeOverSmall.transcoderTranscode },
  ];
  const flat = checks.filter((c) => c.r < FLAT);
  const growing = checks.filter((c) => c.r >= FLAT);
  const uploadFlat = Math.max(...Object.values(L.upload.edge.ratioToFirst));
  const singleGrowth = d.singleBlob.get.peakMiB - d.singleBlob.get.beforeMiB;
  const multipartGrowth = d.multipartDownload.peakMiB - d.multipartDownload.beforeMiB;
  // The handler is the same for both objects; if only the multipart one grows workerd, the local R2 does.
  const simulator =
    multipartGrowth > 100 && multipartGrowth > 3 * Math.max(singleGrowth, 10)
      ? `The download's growth is the local R2's, not the edge's: the same GET handler streamed the ${f0(d.singleBlob.bytes / 2 ** 20)} MiB object stored whole with workerd moving by ${f1(singleGrowth)} MiB, ` +
        `while reading the multipart source raised it by ${f1(multipartGrowth)} MiB. Miniflare's local R2 assembles a multipart object by piping each part's blob through a TransformStream ` +
        "(`#assembleMultipartValue` in miniflare's r2 bucket worker) and workerd keeps what that buffered; R2 itself serves a completed multipart object as one object."
      : `The control: the same GET handler moved workerd by ${f1(singleGrowth)} MiB for the ${f0(d.singleBlob.bytes / 2 ** 20)} MiB object stored whole and by ${f1(multipartGrowth)} MiB for the multipart source.`;
  const transcodeFlat = Math.max(...Object.values(L.transcode.transcoder.ratioToFirst));
  return [
    `What it means: with a file ${f1(grew)}× larger, ${flat.map((c) => `${c.what} changed by ${ratio(c.r)}`).join(", ") || "no peak stayed flat"}` +
      (growing.length ? `; but ${growing.map((c) => `${c.what} grew ${ratio(c.r)}`).join(", ")}, which does grow with the file.` : ": memory follows the work, not the file; parts and the source stream through without being held whole."),
    simulator,
    `Within the ${f0(L.file.bytes / 2 ** 20)} MiB run, the edge's RSS at any mark of the upload is at most ${ratio(uploadFlat)} its RSS at 10 %, and the transcoder's during the transcode at most ${ratio(transcodeFlat)}.`,
    "The small file goes first, so the large run also carries whatever the warm processes keep (JIT code, caches). " +
      "The edge figures are of the local simulator (wrangler's node process, workerd, local R2 on disk), not of Cloudflare, where a Worker isolate is capped at 128 MiB.",
  ].join(" ");
}

export function renderMarkdown(r: BenchResults): string {
  const m = r.machine;
  const lines = [
    "# Benchmarks",
    "",
    "How fast and how lean the system is, measured rather than assumed. Every figure below comes from one run of `npm run bench` " +
      "(generated into this file and into `bench/results.json`; do not edit by hand). The machine is a shared one, so absolute times are noise; " +
      "what carries over is the **ratio** beside each figure, against a baseline measured in the same run: the stitcher against `@eyevinn/hls-splice`, " +
      "each route against a trivial route of the same worker, the transcoder against the same ffmpeg command run by hand, memory at the end of a transfer against its start.",
    "",
    "## How to run",
    "",
    "```sh",
    "npm run bench                 # everything, writes BENCHMARKS.md and bench/results.json (12-20 min on 2 cores)",
    "npm run bench -- --quick      # scaled down (10,000 films, 100 MiB upload, 2 s per route): bench/out/BENCHMARKS.md",
    "npm run bench -- --only catalog,playback   # some sections (stitch, transcode, catalog, playback, captions, hot, memory): bench/out/",
    "npm run bench:stitch          # the stitcher alone (bench/out/stitch.json)",
    "npm run bench:transcode       # the transcoder alone (bench/out/transcode.json)",
    "```",
    "",
    "Needs what `npm test` needs (ffmpeg, redis-server, the npm packages); runs everything locally on loopback; not part of `npm test`.",
    "",
    "## This run",
    "",
    table(["", ""], ["l", "l"], [
      ["command", `\`${r.command}\` (${r.mode} scale)`],
      ["machine", describeMachine(m)],
      ["date", m.date],
      ["duration", `${f1(r.totalSeconds / 60)} min (${Object.entries(r.sections).map(([k, v]) => `${k} ${f0(v!.seconds)} s`).join(", ")})`],
      ["settings", Object.entries(r.settings).map(([k, v]) => `${k} ${v}`).join(", ")],
      ...Object.entries(r.mergedSections ?? {}).map(([name, m]) => [`section ${name}`, `from a later run: \`${m.command}\` on ${m.date}`]),
    ]),
    "",
    stitchSection(r.sections.stitch),
    "",
    catalogSection(r.sections.catalog, r),
    "",
    playbackSection(r.sections.playback),
    "",
    hotSection(r.sections.hot),
    "",
    captionsSection(r.sections.captions),
    "",
    transcodeSection(r.sections.transcode),
    "",
    memorySection(r.sections.memory),
    "",
  ];
  return lines.join("\n");
}
