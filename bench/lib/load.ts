// Load through the local edge with autocannon (on loopback, bounded in time), reduced to the figures the
// benches report. autocannon ships no types; the subset used here is declared below.
import { createRequire } from "node:module";

interface Histogram {
  average: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}
interface AutocannonResult {
  latency: Histogram;
  requests: Histogram & { total: number };
  duration: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  mismatches: number;
  statusCodeStats: Record<string, { count: number }>;
}
interface AutocannonOptions {
  url: string;
  connections: number;
  duration?: number;
  /** A number of requests instead of a duration. */
  amount?: number;
  timeout?: number;
  headers?: Record<string, string>;
  /** Clients walk this list over and over (one path per request). */
  requests?: { path: string }[];
  /** Replace "[<id>]" in each request with a new unique id. */
  idReplacement?: boolean;
}
type Autocannon = (opts: AutocannonOptions) => Promise<AutocannonResult>;

const autocannon = createRequire(import.meta.url)("autocannon") as Autocannon;

export interface LoadOptions {
  connections: number;
  seconds: number;
  /**
   * Make every request distinct: each carries a throwaway query parameter `_` with a new unique id
   * (the routes ignore it; it is part of the answer cache's key). With the answer cache off, concurrent
   * requests for the same URL still share one render (edge/lib/answer-cache.ts, `inflight`), so a run
   * repeating one URL measures that sharing as much as the route.
   */
  distinct?: boolean;
}

/** The query parameter `distinct` adds. */
export const DISTINCT_PARAM = "_";

export interface LoadFigures {
  /** 2xx answers per second over the run. */
  rps: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  /** Non-2xx answers, connection errors and timeouts: a run with any of these is reported as failed. */
  non2xx: number;
  errors: number;
  /** How long the run took. */
  seconds: number;
}

/**
 * Loads `paths` (requests cycle through them, so several filters or queries share one run) on `base`.
 * Latency is autocannon's (from the request written to the whole response read), in ms.
 */
export async function load(base: string, paths: string[], opts: LoadOptions | { connections: number; amount: number; distinct?: boolean }): Promise<LoadFigures> {
  const distinct = opts.distinct === true;
  const r = await autocannon({
    url: base,
    connections: opts.connections,
    ...("amount" in opts ? { amount: opts.amount } : { duration: opts.seconds }),
    timeout: 30,
    idReplacement: distinct,
    requests: paths.map((path) => ({ path: distinct ? `${path}${path.includes("?") ? "&" : "?"}${DISTINCT_PARAM}=[<id>]` : path })),
  });
  const ok = Object.entries(r.statusCodeStats)
    .filter(([code]) => code.startsWith("2"))
    .reduce((n, [, s]) => n + s.count, 0);
  return {
    rps: ok / r.duration,
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    requests: r.requests.total,
    non2xx: r.non2xx,
    errors: r.errors + r.timeouts,
    seconds: r.duration,
  };
}

/** Median of a few numbers. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}
