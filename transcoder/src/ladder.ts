// ABR ladder planning: which renditions to make of a source, at what size and bitrate.
// Pure: no I/O, so the rules (never upscale, even sizes, bitrate capped near the source's) are
// tested on their own.

/** One configured rung: a target height and its bitrates. */
export interface Rung {
  name: string;
  height: number;
  videoKbps: number;
  audioKbps: number;
}

/** What the planner needs to know of a source (see probe.ts). */
export interface SourceGeometry {
  /** Coded size, before rotation and sample aspect ratio. */
  width: number;
  height: number;
  /** Degrees from the display matrix; ±90/270 swap width and height on display. */
  rotation: number;
  /** Sample (pixel) aspect ratio; 1 for square pixels. */
  sampleAspect: number;
  /** The source's video bitrate, when known. */
  videoKbps?: number;
}

export interface PlannedRung {
  name: string;
  width: number;
  height: number;
  videoKbps: number;
  /** VBV limits: keep the peak near the target so BANDWIDTH in the master playlist holds. */
  maxrateKbps: number;
  bufsizeKbps: number;
  audioKbps: number;
}

/** 1080p, 720p, 480p, 360p. */
export const DEFAULT_LADDER = "1080:5000:128,720:2800:128,480:1400:96,360:800:96";

/**
 * Parses `height:videoKbps[:audioKbps]` rungs separated by commas, e.g. `720:2800:128,360:800`.
 * Throws an Error saying which rung is wrong.
 */
export function parseLadder(spec: string, defaultAudioKbps = 128): Rung[] {
  const rungs: Rung[] = [];
  for (const raw of spec.split(",").map((s) => s.trim()).filter(Boolean)) {
    const m = /^(\d{2,4})p?:(\d{2,6})k?(?::(\d{2,4})k?)?$/.exec(raw);
    if (!m) throw new Error(`ladder rung "${raw}": expected height:videoKbps[:audioKbps], e.g. 720:2800:128`);
    const height = Number(m[1]);
    const videoKbps = Number(m[2]);
    const audioKbps = m[3] ? Number(m[3]) : defaultAudioKbps;
    if (height < 64 || height > 4320) throw new Error(`ladder rung "${raw}": height must be 64..4320`);
    if (videoKbps < 50) throw new Error(`ladder rung "${raw}": video bitrate must be at least 50 kbps`);
    if (audioKbps < 16 || audioKbps > 512) throw new Error(`ladder rung "${raw}": audio bitrate must be 16..512 kbps`);
    if (rungs.some((r) => r.height === height)) throw new Error(`ladder rung "${raw}": height ${height} appears twice`);
    rungs.push({ name: `${height}p`, height, videoKbps, audioKbps });
  }
  if (rungs.length === 0) throw new Error("ladder: at least one rung is needed");
  return rungs.sort((a, b) => b.height - a.height);
}

const even = (n: number) => Math.max(2, Math.round(n / 2) * 2);
const evenDown = (n: number) => Math.max(2, Math.floor(n / 2) * 2);

/** The size a player shows: sample aspect applied, then rotation. */
export function displaySize(src: SourceGeometry): { width: number; height: number } {
  const sar = src.sampleAspect > 0 && Number.isFinite(src.sampleAspect) ? src.sampleAspect : 1;
  const w = src.width * sar;
  const h = src.height;
  const quarterTurn = Math.abs(Math.round(src.rotation / 90)) % 2 === 1;
  return quarterTurn ? { width: h, height: w } : { width: w, height: h };
}

export interface PlanOptions {
  /** The top rung may spend at most this multiple of the source's bitrate: more bits cannot add detail. */
  capFactor?: number;
  /** No rung is pushed below this by the cap (kbps), unless configured lower. */
  minKbps?: number;
}

/**
 * Every configured rung at or below the source's display height (never upscaled), sized to keep
 * the aspect ratio with even dimensions (H.264 4:2:0 needs them). When the source is leaner than
 * the top rung's target, the whole ladder is scaled down in proportion, so the top rung stays near
 * the source's bitrate and each lower rung keeps its share. A source smaller than every rung gets
 * one rung at its own (even) size.
 */
export function planLadder(src: SourceGeometry, ladder: Rung[], opts: PlanOptions = {}): PlannedRung[] {
  const capFactor = opts.capFactor ?? 1.2;
  const minKbps = opts.minKbps ?? 64;
  const shown = displaySize(src);
  if (!(shown.width > 0 && shown.height > 0)) throw new Error("source has no video size");
  const aspect = shown.width / shown.height;
  const sourceHeight = evenDown(shown.height);

  const sorted = [...ladder].sort((a, b) => b.height - a.height);
  let chosen = sorted.filter((r) => r.height <= shown.height);
  if (chosen.length === 0) {
    const smallest = sorted[sorted.length - 1]!;
    chosen = [{ ...smallest, name: `${sourceHeight}p`, height: sourceHeight }];
  }
  const cap = src.videoKbps && src.videoKbps > 0 ? src.videoKbps * capFactor : Infinity;
  const scale = Math.min(1, cap / chosen[0]!.videoKbps);

  return chosen.map((r) => {
    const height = Math.min(evenDown(r.height), sourceHeight);
    const width = Math.min(even(height * aspect), evenDown(shown.width));
    const videoKbps = Math.round(Math.min(r.videoKbps, Math.max(minKbps, r.videoKbps * scale)));
    return {
      name: r.name,
      width,
      height,
      videoKbps,
      maxrateKbps: Math.round(videoKbps * 1.1),
      bufsizeKbps: videoKbps * 2,
      audioKbps: r.audioKbps,
    };
  });
}
