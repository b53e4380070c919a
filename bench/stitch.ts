// Bench: stitching one variant playlist of a 2-hour episode (1,200 × 6 s segments, 4 renditions) with 3 ad
// breaks, ours (edge/hls) against @eyevinn/hls-splice on the same input, in the same run.
//
//   npm run bench:stitch            (writes bench/out/stitch.json and prints a Markdown table)
//
// What is timed, per stitched variant playlist:
// - ours, served: what the edge does per request once the parsed playlists are cached (isolate LRU): plan the
//   3 breaks and serialize 1,215 segments with absolute URIs.
// - ours, cold: the same plus parsing the content playlist and the 3 ad playlists of that variant from text.
// - hls-splice: its whole pipeline (parse master + 4 media playlists, insert 3 ads into all 4, serialize one),
//   divided by the 4 variants it produces: it has no way to reuse a parse or stitch one variant alone.

import { mkdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { cpus } from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { type MediaPlaylist, type UriStyle, parseMediaPlaylist, serializeMaster, stitch } from "../edge/hls";

interface Splicer {
  load(master: () => Readable, media: (bw: number) => Readable): Promise<void>;
  insertAdAt(offsetMs: number, adMasterUri: string, master: () => Readable, media: (bw: number) => Readable): Promise<void>;
  getMediaManifest(bw: number): string;
}
const HLSSpliceVod = createRequire(import.meta.url)("@eyevinn/hls-splice") as new (uri: string, opts?: Record<string, unknown>) => Splicer;

const BASE = "https://cdn.example/api/v1/resource/media/";
const CONTENT_PREFIX = "films/0b0e7c9e-1111-4a4a-9999-000000000001/episodes/line1/1/hls/5f0e7c9e-2222-4b4b-8888-000000000002/";
const SEGMENTS = 1200;
const SEGMENT_SECONDS = 6;
const BREAKS = [0.3, 0.5, 0.7].map((f) => f * SEGMENTS * SEGMENT_SECONDS);
const RENDITIONS = [
  { name: "1080p", bandwidth: 5_000_000, resolution: [1920, 1080] },
  { name: "720p", bandwidth: 2_800_000, resolution: [1280, 720] },
  { name: "480p", bandwidth: 1_400_000, resolution: [854, 480] },
  { name: "360p", bandwidth: 800_000, resolution: [640, 360] },
] as const;
const ADS = ["a", "b", "c"].map((x, i) => ({ id: `ad-${x}`, prefix: `ads/00000000-0000-4000-8000-00000000000${i}/hls/00000000-0000-4000-8000-0000000000a${i}/` }));
const VARIANT = 1; // the bench's variant: 720p

function mediaPlaylist(durations: number[]): string {
  const lines = ["#EXTM3U", "#EXT-X-VERSION:3", `#EXT-X-TARGETDURATION:${Math.max(...durations.map(Math.ceil))}`, "#EXT-X-MEDIA-SEQUENCE:0", "#EXT-X-PLAYLIST-TYPE:VOD"];
  durations.forEach((d, i) => lines.push(`#EXTINF:${d.toFixed(6)},`, `seg_${String(i).padStart(5, "0")}.ts`));
  lines.push("#EXT-X-ENDLIST");
  return lines.join("\n") + "\n";
}

const contentText = mediaPlaylist(Array.from({ length: SEGMENTS }, (_, i) => (i === SEGMENTS - 1 ? 4.2 : SEGMENT_SECONDS)));
const adText = mediaPlaylist([3, 3, 3, 3, 3]);
const master = (prefix = "") =>
  serializeMaster({
    independentSegments: false,
    variants: RENDITIONS.map((r) => ({ uri: `${prefix}${r.name}/index.m3u8`, bandwidth: r.bandwidth, width: r.resolution[0], height: r.resolution[1], codecs: "avc1.64001f,mp4a.40.2" })),
  });
const byBandwidth = new Map<number, string>(RENDITIONS.map((r) => [r.bandwidth, contentText]));

// ---- ours ---------------------------------------------------------------------------------------

const contentStyle: UriStyle = { base: BASE, query: "" };
const adStyle: UriStyle = { base: BASE, query: "" };
const variantKey = (prefix: string) => `${prefix}${RENDITIONS[VARIANT].name}/index.m3u8`;

function oursServed(content: MediaPlaylist, ads: MediaPlaylist[]): string {
  return stitch({
    content,
    contentStyle,
    targetDuration: 6,
    ads: ads.map((playlist, i) => ({ id: ADS[i]!.id, at: BREAKS[i]!, playlist, style: adStyle })),
  }).text;
}

function oursCold(): string {
  const content = parseMediaPlaylist(contentText, variantKey(CONTENT_PREFIX));
  const ads = ADS.map((a) => parseMediaPlaylist(adText, variantKey(a.prefix)));
  return oursServed(content, ads);
}

// ---- hls-splice ----------------------------------------------------------------------------------

async function hlsSplice(): Promise<string> {
  const vod = new HLSSpliceVod(`${BASE}${CONTENT_PREFIX}master.m3u8`, { baseUrl: `${BASE}${CONTENT_PREFIX}` });
  await vod.load(
    () => Readable.from([master()]),
    (bw) => Readable.from([byBandwidth.get(Number(bw))!]),
  );
  for (const [i, ad] of ADS.entries()) {
    await vod.insertAdAt(
      BREAKS[i]! * 1000,
      `${BASE}${ad.prefix}master.m3u8`,
      () => Readable.from([master()]),
      () => Readable.from([adText]),
    );
  }
  return vod.getMediaManifest(RENDITIONS[VARIANT].bandwidth);
}

// ---- timing --------------------------------------------------------------------------------------

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

async function timeIt(fn: () => unknown, opts: { warmup: number; samples: number }): Promise<{ medianMs: number; p90Ms: number; samples: number }> {
  for (let i = 0; i < opts.warmup; i++) await fn();
  const xs: number[] = [];
  for (let i = 0; i < opts.samples; i++) {
    const t = performance.now();
    await fn();
    xs.push(performance.now() - t);
  }
  const sorted = [...xs].sort((a, b) => a - b);
  return { medianMs: median(xs), p90Ms: sorted[Math.floor(sorted.length * 0.9)]!, samples: xs.length };
}

const countSegments = (text: string) => text.split("\n").filter((l) => l !== "" && !l.startsWith("#")).length;
const countTag = (text: string, tag: string) => text.split("\n").filter((l) => l.startsWith(tag)).length;

async function main() {
  const parsedContent = parseMediaPlaylist(contentText, variantKey(CONTENT_PREFIX));
  const parsedAds = ADS.map((a) => parseMediaPlaylist(adText, variantKey(a.prefix)));

  // Same input, same result: 1,200 content + 3 × 5 ad segments, three cue-outs.
  const ours = oursServed(parsedContent, parsedAds);
  const theirs = await hlsSplice();
  const check = {
    ours: { segments: countSegments(ours), cueOut: countTag(ours, "#EXT-X-CUE-OUT"), discontinuities: countTag(ours, "#EXT-X-DISCONTINUITY") },
    hlsSplice: { segments: countSegments(theirs), cueOut: countTag(theirs, "#EXT-X-CUE-OUT"), discontinuities: countTag(theirs, "#EXT-X-DISCONTINUITY") },
  };
  if (check.ours.segments !== SEGMENTS + 15 || check.hlsSplice.segments !== SEGMENTS + 15) {
    throw new Error(`outputs differ from the expected ${SEGMENTS + 15} segments: ${JSON.stringify(check)}`);
  }

  const served = await timeIt(() => oursServed(parsedContent, parsedAds), { warmup: 200, samples: 2000 });
  const cold = await timeIt(oursCold, { warmup: 50, samples: 500 });
  const splicePipeline = await timeIt(hlsSplice, { warmup: 3, samples: 25 });
  const splicePerVariant = splicePipeline.medianMs / RENDITIONS.length;

  const rows = [
    { what: "ours, served (cached parse): stitch + serialize", medianMs: served.medianMs, p90Ms: served.p90Ms, samples: served.samples },
    { what: "ours, cold: parse content + 3 ads, stitch, serialize", medianMs: cold.medianMs, p90Ms: cold.p90Ms, samples: cold.samples },
    { what: "hls-splice 0.4.11: whole pipeline (4 variants)", medianMs: splicePipeline.medianMs, p90Ms: splicePipeline.p90Ms, samples: splicePipeline.samples },
    { what: "hls-splice 0.4.11: per variant (pipeline / 4)", medianMs: splicePerVariant, p90Ms: splicePipeline.p90Ms / RENDITIONS.length, samples: splicePipeline.samples },
  ];
  const result = {
    command: "npm run bench:stitch",
    date: new Date().toISOString(),
    node: process.version,
    cpu: cpus()[0]?.model ?? "unknown",
    cores: cpus().length,
    input: { segments: SEGMENTS, segmentSeconds: SEGMENT_SECONDS, renditions: RENDITIONS.length, breaks: BREAKS, adSegments: 5 },
    check,
    rows,
    speedup: { served: splicePerVariant / served.medianMs, cold: splicePerVariant / cold.medianMs },
    goal: { servedUnder1ms: served.medianMs < 1, atLeast10x: splicePerVariant / served.medianMs >= 10 },
  };

  const out = path.join(import.meta.dirname, "out");
  mkdirSync(out, { recursive: true });
  writeFileSync(path.join(out, "stitch.json"), JSON.stringify(result, null, 2) + "\n");

  const ms = (x: number) => (x < 1 ? x.toFixed(3) : x.toFixed(2));
  console.log(`Stitching one variant of a 2-hour episode (${SEGMENTS} × ${SEGMENT_SECONDS} s segments, ${RENDITIONS.length} renditions, 3 breaks of 5 ad segments); ${result.cpu}, Node ${process.version}\n`);
  console.log("| measure | median (ms) | p90 (ms) | samples |");
  console.log("|---|---:|---:|---:|");
  for (const r of rows) console.log(`| ${r.what} | ${ms(r.medianMs)} | ${ms(r.p90Ms)} | ${r.samples} |`);
  console.log(`\nPer variant playlist, hls-splice / ours: **${result.speedup.served.toFixed(0)}×** (served), **${result.speedup.cold.toFixed(0)}×** (cold).`);
  console.log(`Goal (≥ 10× and < 1 ms per variant): ${result.goal.atLeast10x && result.goal.servedUnder1ms ? "met" : "NOT met"}. Written to bench/out/stitch.json.`);
}

await main();
