// AD_BREAKS: where in an episode the ads go. A comma-separated list; each entry is one of
//
//   pre            a pre-roll (before the first segment)
//   post           a post-roll (after the last segment)
//   0.3            a fraction of the episode's duration: a bare number below 1 (0 = pre-roll)
//   30%            a percentage of the duration (0% = pre-roll, 100% = post-roll)
//   120  / 120s    absolute seconds from the start: a bare number of 1 or more, or any number with "s"
//   1:30 / 1:02:03 absolute m:ss or h:mm:ss
//
// An empty value, "none" or "off" disables ads. Absolute positions at or past the end of a shorter episode
// are dropped (there is nothing to interrupt). The default of the old service was "0.3,0.7".

export type BreakSpec =
  | { kind: "pre" }
  | { kind: "post" }
  | { kind: "fraction"; value: number }
  | { kind: "seconds"; value: number };

export type AdBreaksConfig = { ok: true; breaks: BreakSpec[] } | { ok: false; error: string };

/** The most breaks one episode can have; beyond it a config is more likely a mistake than a plan. */
export const MAX_BREAKS = 20;

/** Marks a post-roll in a plan: "after the last segment", whatever the exact duration of a rendition. */
export const POST_ROLL = -1;

export function parseAdBreaks(config: string | undefined | null): AdBreaksConfig {
  const text = (config ?? "").trim();
  if (text === "" || /^(none|off)$/i.test(text)) return { ok: true, breaks: [] };
  const entries = text.split(",").map((s) => s.trim());
  if (entries.length > MAX_BREAKS) return { ok: false, error: `AD_BREAKS: at most ${MAX_BREAKS} entries, got ${entries.length}` };
  const breaks: BreakSpec[] = [];
  for (const [i, entry] of entries.entries()) {
    const spec = parseEntry(entry.toLowerCase());
    if (typeof spec === "string") return { ok: false, error: `AD_BREAKS entry ${i + 1} ("${entry}"): ${spec}` };
    breaks.push(spec);
  }
  return { ok: true, breaks };
}

const NUMBER = /^\d+(?:\.\d+)?$|^\.\d+$/;

function parseEntry(e: string): BreakSpec | string {
  if (e === "") return "empty entry";
  if (e === "pre") return { kind: "pre" };
  if (e === "post") return { kind: "post" };
  if (e.endsWith("%")) {
    const n = e.slice(0, -1).trim();
    if (!NUMBER.test(n)) return "a percentage needs a number before %";
    const v = Number(n);
    if (v > 100) return "a percentage cannot exceed 100";
    return v === 100 ? { kind: "post" } : v === 0 ? { kind: "pre" } : { kind: "fraction", value: v / 100 };
  }
  if (e.endsWith("s")) {
    const n = e.slice(0, -1).trim();
    if (!NUMBER.test(n)) return 'seconds need a number before "s"';
    return seconds(Number(n));
  }
  if (e.includes(":")) {
    const parts = e.split(":");
    if (parts.length > 3 || !parts.every((p, j) => (j === 0 ? /^\d+$/ : /^\d{2}(?:\.\d+)?$/).test(p))) return "times are m:ss or h:mm:ss";
    const nums = parts.map(Number);
    if (nums.slice(1).some((n) => n >= 60)) return "minutes and seconds must be below 60";
    return seconds(nums.reduce((acc, n) => acc * 60 + n, 0));
  }
  if (!NUMBER.test(e)) return "expected pre, post, a fraction (0.3), a percentage (30%), seconds (120 or 120s) or a time (2:00)";
  const v = Number(e);
  return v < 1 ? (v === 0 ? { kind: "pre" } : { kind: "fraction", value: v }) : seconds(v);
}

function seconds(v: number): BreakSpec {
  return v === 0 ? { kind: "pre" } : { kind: "seconds", value: v };
}

/**
 * Break positions for an episode of `duration` seconds: ascending seconds from the start, POST_ROLL last.
 * Positions that coincide are merged; absolute ones at or past the end are dropped.
 */
export function planBreakTimes(breaks: BreakSpec[], duration: number): number[] {
  const times = new Set<number>();
  let post = false;
  for (const b of breaks) {
    if (b.kind === "pre") times.add(0);
    else if (b.kind === "post") post = true;
    // Without a known duration a fraction means nothing (and must not collapse into a pre-roll).
    else if (b.kind === "fraction") {
      if (duration > 0) times.add(round3(b.value * duration));
    }
    else if (b.value < duration) times.add(round3(b.value));
  }
  const out = [...times].sort((a, b) => a - b);
  if (post) out.push(POST_ROLL);
  return out;
}

function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}
