// Captions bench: what captions cost a viewer and an admin. On the playback bench's episode (two FILM ads
// stitched in), one language of a 2-hour film's captions (~1,500 cues, SRT) goes in through the admin API;
// then, through the same local edge and in the same run, the stitched variant playlist, the subtitle
// playlist (the same stitcher over synthetic playlists) and caption segments (the cues of one segment's
// window, cut from the stored WebVTT) are measured two ways: one request at a time, the four routes taking
// turns in every round (so a drifting machine slows them alike; the ratio to the variant is taken per round),
// and under load like the other routes, with GET /api/v1/ping between them. Then the SRT→WebVTT conversion
// the upload route runs, and the parse of the stored WebVTT the segment route runs, are timed in-process.
import { performance } from "node:perf_hooks";
import { parseCaptions, toVtt } from "../edge/captions/parse";
import { AdminClient } from "../scripts/harness/admin-client";
import { requestOnce } from "../scripts/harness/http";
import { type EndpointFigures, type EndpointSpec, type SuiteResult, probe, runSuite } from "./lib/endpoints";
import type { HlsFixture } from "./lib/hls-fixture";
import type { LoadOptions } from "./lib/load";
import { median } from "./lib/load";

/** A film's worth of subtitles: one cue every 4.8 s for two hours (1,500 cues), one or two lines each. */
export function twoHourSrt(seconds = 7200, every = 4.8): { text: string; cues: number } {
  const t = (s: number) => {
    const ms = Math.round(s * 1000);
    const hh = String(Math.floor(ms / 3_600_000)).padStart(2, "0");
    const mm = String(Math.floor(ms / 60_000) % 60).padStart(2, "0");
    const ss = String(Math.floor(ms / 1000) % 60).padStart(2, "0");
    return `${hh}:${mm}:${ss},${String(ms % 1000).padStart(3, "0")}`;
  };
  const lines = [
    "I told you the river would be quiet tonight.",
    "- Where are we going?\n- Somewhere the lights still work.",
    "Keep your voice down, they can hear us.",
    "Não é o que parece — é pior.",
    "我们明天早上再出发。",
    "<i>Previously, on the night shift...</i>",
  ];
  const out: string[] = [];
  let n = 0;
  for (let start = 0.5; start + 3.2 <= seconds; start += every) {
    n++;
    out.push(`${n}\n${t(start)} --> ${t(start + 3.2)}\n${lines[n % lines.length]}\n`);
  }
  return { text: out.join("\n"), cues: n };
}

export interface CaptionsResult extends SuiteResult {
  file: { cues: number; srtBytes: number; vttBytes: number; format: string };
  /**
   * Per subtitle route, over the stitched variant's in the same run: p50 latency as measured, and throughput
   * with each route first divided by the ping runs just before and after it (so the machine's drift cancels).
   */
  vsVariant: { name: string; latencyRatio: number; throughputRatio: number }[];
  /** One request at a time, the routes in turn (rotated each round): latency, and its ratio to the variant's in the same round. */
  paired: { rounds: number; rows: { name: string; medianMs: number; p90Ms: number; vsVariant: number }[] };
  segments: { variant: number; subtitles: number; captionSegmentBytes: number; emptyAdSegmentBytes: number | null };
  /** SRT→WebVTT of the 2-hour file in-process, as the upload route does it (ms per conversion). */
  parse: { medianMs: number; p90Ms: number; samples: number; usPerCue: number };
  /** The stored WebVTT parsed into cues, as the caption segment route does once per isolate and file. */
  parseStored: { medianMs: number; p90Ms: number; samples: number; usPerCue: number };
}

const round = (x: number) => Math.round(x * 1000) / 1000;

/**
 * `rounds` rounds of one GET of each path, one after another on a fresh connection each, the order rotated
 * every round; per path the median and p90 latency, and the median over rounds of its latency over the
 * first path's in the same round.
 */
async function pairedLatency(base: string, paths: string[], rounds: number) {
  const samples = paths.map(() => [] as number[]);
  for (let r = -5; r < rounds; r++) {
    for (let k = 0; k < paths.length; k++) {
      const i = (Math.max(0, r) + k) % paths.length;
      const t0 = performance.now();
      const res = await requestOnce(base + paths[i]!);
      const ms = performance.now() - t0;
      if (res.status !== 200) throw new Error(`GET ${paths[i]} answered ${res.status}: ${res.text.slice(0, 200)}`);
      if (r >= 0) samples[i]!.push(ms);
    }
  }
  const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
  return samples.map((xs) => ({
    medianMs: round(median(xs)),
    p90Ms: round(sorted(xs)[Math.floor(xs.length * 0.9)]!),
    vsVariant: round(median(xs.map((x, r) => x / samples[0]![r]!))),
  }));
}

/** Times `fn` `samples` times after a few warm-up runs; median and p90 in ms. */
function time(fn: () => void, samples: number): { medianMs: number; p90Ms: number } {
  for (let i = 0; i < 5; i++) fn();
  const ms: number[] = [];
  for (let i = 0; i < samples; i++) {
    const t0 = performance.now();
    fn();
    ms.push(performance.now() - t0);
  }
  ms.sort((a, b) => a - b);
  return { medianMs: round(median(ms)), p90Ms: round(ms[Math.floor(ms.length * 0.9)]!) };
}

export async function runCaptionsBench(base: string, f: HlsFixture, opts: LoadOptions & { adminToken: string }): Promise<CaptionsResult> {
  const srt = twoHourSrt();
  const admin = new AdminClient(base, opts.adminToken);
  const stored = await admin.putCaptions(f.filmId, f.route, f.episode, "en", new TextEncoder().encode(srt.text), "English");
  if (stored.cues !== srt.cues) throw new Error(`the edge stored ${stored.cues} cues of ${srt.cues}`);

  // As a player: the master names the subtitle rendition and the variants, each with the viewer's plan.
  const master = `/api/v1/resource/media_list/${f.route}/${f.filmId}/${f.episode}`;
  const text = await (await fetch(base + master)).text();
  const variantUrl = text.split("\n").find((l) => l.startsWith("http"));
  const subtitlesUrl = /#EXT-X-MEDIA:TYPE=SUBTITLES,.*URI="([^"]+)"/.exec(text)?.[1];
  if (!variantUrl || !subtitlesUrl) throw new Error(`no variant or no subtitle rendition in the master playlist:\n${text}`);
  const rel = (u: string) => (u.startsWith(base) ? u.slice(base.length) : new URL(u).pathname + new URL(u).search);
  const variant = rel(variantUrl);
  const subtitles = rel(subtitlesUrl);
  const [variantText, subtitlesText] = await Promise.all([fetch(base + variant).then((r) => r.text()), fetch(base + subtitles).then((r) => r.text())]);
  const uris = (t: string) => t.split("\n").filter((l) => l && !l.startsWith("#"));
  const subtitleUris = uris(subtitlesText).map((u) => rel(new URL(u, base + subtitles).href));
  const captionSegments = subtitleUris.filter((u) => /\/c\/[^/]+\/[^/?]+\.vtt/.test(u));
  if (captionSegments.length === 0) throw new Error(`no caption segment in the subtitle playlist:\n${subtitlesText}`);
  const emptyAd = subtitleUris.find((u) => !captionSegments.includes(u));
  // The first content segment, and one from the middle of the episode (cues further into the file).
  const first = captionSegments[0]!;
  const middle = captionSegments[Math.floor(captionSegments.length / 2)]!;
  const [firstProbe, emptyProbe] = await Promise.all([probe(base, first), emptyAd ? probe(base, emptyAd) : Promise.resolve(null)]);

  const specs: EndpointSpec[] = [
    { name: `variant playlist ${variant.split("/v/")[1]!.split(".m3u8")[0]} (stitched)`, path: variant },
    { name: "subtitle playlist en (stitched)", path: subtitles },
    { name: "caption segment, first window", path: first },
    { name: "caption segment, middle window", path: middle },
  ];
  const rounds = 200;
  const paired = await pairedLatency(base, specs.map((s) => s.path), rounds);
  for (const [i, p] of paired.entries()) process.stderr.write(`  one at a time: ${specs[i]!.name.padEnd(40)} p50 ${p.medianMs} ms  p90 ${p.p90Ms} ms  ${p.vsVariant}× variant\n`);
  const suite = await runSuite(base, specs, { ...opts, baselineEvery: 1 });
  const [v, ...rest] = suite.endpoints as [EndpointFigures, ...EndpointFigures[]];

  const bytes = new TextEncoder().encode(srt.text);
  let cues = 0;
  // What the upload route does with the body: check and parse every cue, then write the WebVTT it stores.
  const parsed = time(() => {
    const r = parseCaptions(bytes);
    if (!r.ok) throw new Error(`the bench's SRT was refused: ${r.reason}`);
    cues = r.captions.cues.length;
    toVtt(r.captions);
  }, 50);
  if (cues !== srt.cues) throw new Error(`the parser found ${cues} cues of ${srt.cues}`);
  const first0 = parseCaptions(bytes);
  if (!first0.ok) throw new Error(first0.reason);
  const vtt = new TextEncoder().encode(toVtt(first0.captions));
  const parsedStored = time(() => {
    const r = parseCaptions(vtt);
    if (!r.ok || r.captions.cues.length !== srt.cues) throw new Error("the stored WebVTT did not parse back to the same cues");
  }, 50);

  return {
    ...suite,
    file: { cues: srt.cues, srtBytes: bytes.length, vttBytes: stored.bytes, format: stored.format },
    vsVariant: rest.map((e) => ({ name: e.name, latencyRatio: e.p50Ms / Math.max(1, v.p50Ms), throughputRatio: e.throughputRatio / v.throughputRatio })),
    paired: { rounds, rows: paired.map((p, i) => ({ name: specs[i]!.name, ...p })) },
    segments: {
      variant: (variantText.match(/^#EXTINF/gm) ?? []).length,
      subtitles: (subtitlesText.match(/^#EXTINF/gm) ?? []).length,
      captionSegmentBytes: firstProbe.bytes,
      emptyAdSegmentBytes: emptyProbe?.bytes ?? null,
    },
    parse: { ...parsed, samples: 50, usPerCue: round((parsed.medianMs * 1000) / srt.cues) },
    parseStored: { ...parsedStored, samples: 50, usPerCue: round((parsedStored.medianMs * 1000) / srt.cues) },
  };
}
