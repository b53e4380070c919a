// Measuring routes of the local edge: one probe request for what the route reports about its own cost
// (X-D1-Rows-Read, X-D1-Batches, X-R2-Reads), then a bounded autocannon run; throughput is given as a
// ratio of the trivial route (GET /api/v1/ping) measured in the same run, between the others, since on a
// shared machine only such ratios mean something.
import { type LoadFigures, type LoadOptions, load, median } from "./load";

export const PING = "/api/v1/ping";

export interface Probe {
  status: number;
  /** Response headers the edge uses to report cost, as sent. */
  cost: Record<string, string>;
  bytes: number;
  /** Items in the answer's first array (films, search results…), when the body is such JSON. */
  items: number | null;
}

export interface EndpointFigures extends LoadFigures {
  name: string;
  path: string;
  probe: Probe;
  /** The baseline's rps this route is compared with: the mean of the baseline runs just before and after it. */
  baselineRps: number;
  /** rps / baselineRps. */
  throughputRatio: number;
}

const COST_HEADERS = ["x-d1-rows-read", "x-d1-batches", "x-r2-reads", "x-ad-breaks"];

export async function probe(base: string, path: string): Promise<Probe> {
  const res = await fetch(base + path);
  const text = await res.text();
  const cost: Record<string, string> = {};
  for (const h of COST_HEADERS) {
    const v = res.headers.get(h);
    if (v !== null) cost[h] = v;
  }
  let items: number | null = null;
  if ((res.headers.get("content-type") ?? "").includes("json")) {
    try {
      const first = Object.values(JSON.parse(text) as Record<string, unknown>)[0];
      if (Array.isArray(first)) items = first.length;
    } catch {
      // not JSON after all
    }
  }
  return { status: res.status, cost, bytes: Buffer.byteLength(text), items };
}

export interface EndpointSpec {
  name: string;
  path: string;
}

export interface SuiteResult {
  baseline: { runs: LoadFigures[]; rps: number; spread: number };
  endpoints: EndpointFigures[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Runs every endpoint once, with the baseline before the first, after every `baselineEvery` endpoints
 * and after the last. Throws when a probe is not 200 or a run saw errors or non-2xx answers: a figure
 * of failing requests would be meaningless.
 */
export async function runSuite(base: string, specs: EndpointSpec[], opts: LoadOptions & { baselineEvery?: number; log?: (s: string) => void }): Promise<SuiteResult> {
  const log = opts.log ?? ((s: string) => process.stderr.write(`${s}\n`));
  const every = opts.baselineEvery ?? 4;
  const baselineRuns: LoadFigures[] = [];
  const raw: (Omit<EndpointFigures, "throughputRatio" | "baselineRps"> & { before: number })[] = [];

  const measure = async (path: string, name: string) => {
    const p = await probe(base, path);
    if (p.status !== 200) throw new Error(`${name}: GET ${path} answered ${p.status}`);
    // Warm-up by count, not time, so that no request is left running into the measured run.
    await load(base, [path], { connections: opts.connections, amount: 3 * opts.connections });
    let f = await load(base, [path], opts);
    // A route so slow that few requests finished in time: measure it longer, with the same connections.
    if (f.requests < 2 * opts.connections) {
      await sleep(Math.min(10_000, f.p99Ms));
      f = await load(base, [path], { ...opts, seconds: Math.max(20, 4 * opts.seconds) });
    }
    if (f.non2xx || f.errors) throw new Error(`${name}: ${f.non2xx} non-2xx answers and ${f.errors} errors under load (GET ${path})`);
    log(`  ${name.padEnd(48)} ${f.rps.toFixed(0).padStart(6)} req/s  p50 ${f.p50Ms} ms  p99 ${f.p99Ms} ms  ${JSON.stringify(p.cost)}`);
    // autocannon stops at the deadline with requests still in flight; let the edge finish them before
    // the next run, which they would otherwise slow down.
    await sleep(Math.min(10_000, Math.max(200, f.p99Ms)));
    return { p, f };
  };
  const baseline = async () => baselineRuns.push((await measure(PING, "baseline: GET /api/v1/ping")).f);

  await baseline();
  for (const [i, spec] of specs.entries()) {
    const before = baselineRuns.length - 1;
    const { p, f } = await measure(spec.path, spec.name);
    raw.push({ name: spec.name, path: spec.path, probe: p, ...f, before });
    if ((i + 1) % every === 0 && i + 1 < specs.length) await baseline();
  }
  await baseline();

  const all = baselineRuns.map((r) => r.rps);
  const rps = median(all);
  const spread = (Math.max(...all) - Math.min(...all)) / rps;
  return {
    baseline: { runs: baselineRuns, rps, spread },
    endpoints: raw.map(({ before, ...r }) => {
      // The machine is shared: compare each route with the baseline measured closest to it in time.
      const baselineRps = (baselineRuns[before]!.rps + baselineRuns[before + 1]!.rps) / 2;
      return { ...r, baselineRps, throughputRatio: r.rps / baselineRps };
    }),
  };
}
