// Playback bench: the stitched master playlist and a stitched variant playlist of one ready episode with
// two FILM ads (bench/lib/hls-fixture.ts), through the local edge, as a ratio of GET /api/v1/ping in the
// same run. The variant's URI (with its signed ad plan) is taken from a master playlist, as a player does.
import { type EndpointSpec, type Probe, type SuiteResult, probe, runSuite } from "./lib/endpoints";
import type { HlsFixture } from "./lib/hls-fixture";
import type { LoadOptions } from "./lib/load";

export interface PlaybackResult extends SuiteResult {
  /** The first variant request of a fresh isolate (its playlists not cached yet): its R2 reads. */
  cold: Probe;
  segments: { content: number; stitched: number; adBreaks: number };
}

export async function runPlaybackBench(base: string, f: HlsFixture, opts: LoadOptions): Promise<PlaybackResult> {
  const master = `/api/v1/resource/media_list/${f.route}/${f.filmId}/${f.episode}`;
  const text = await (await fetch(base + master)).text();
  const variantUrl = text.split("\n").find((l) => l.startsWith("http"));
  if (!variantUrl) throw new Error(`no variant in the master playlist:\n${text}`);
  const variant = variantUrl.slice(base.length);
  const cold = await probe(base, variant);
  if (cold.status !== 200) throw new Error(`GET ${variant} answered ${cold.status}`);
  const stitched = await (await fetch(base + variant)).text();
  const segmentsOf = (t: string) => t.split("\n").filter((l) => l.startsWith("#EXTINF")).length;
  const content = Math.ceil(f.contentSeconds / f.segmentSeconds);
  const specs: EndpointSpec[] = [
    { name: "master playlist (plans the ads, signs the plan)", path: master },
    { name: `variant playlist ${variant.split("/v/")[1]!.split(".m3u8")[0]} (stitched)`, path: variant },
  ];
  const suite = await runSuite(base, specs, { ...opts, baselineEvery: 1 });
  return { ...suite, cold, segments: { content, stitched: segmentsOf(stitched), adBreaks: (stitched.match(/^#EXT-X-CUE-OUT/gm) ?? []).length } };
}
