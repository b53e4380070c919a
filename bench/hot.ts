// Hot paths with the answer cache on (the default configuration): what a site's busiest requests cost
// D1 under load — D1 queries per 1,000 requests, from the X-D1-Queries each answer reports — their
// throughput as a ratio of GET /api/v1/ping in the same run, and how long an admin write takes to show in
// the catalog's answers. Driven by bench/run.ts on the catalog bench's seeded state.
import { type EndpointSpec, type SuiteResult, runSuite } from "./lib/endpoints";
import type { LoadOptions } from "./lib/load";

export interface QueryCount {
  name: string;
  path: string;
  requests: number;
  d1Queries: number;
  perThousand: number;
  cache: Record<string, number>;
}

export interface HotResult extends SuiteResult {
  queries: QueryCount[];
  /** ms from an admin write's answer to the first catalog answer that shows it, per try. */
  stalenessMs: number[];
}

/** `requests` GETs of `path`, `concurrency` at a time: the D1 round trips they reported, and how they were served. */
async function countQueries(base: string, spec: EndpointSpec, requests: number, concurrency: number): Promise<QueryCount> {
  let next = 0;
  let d1 = 0;
  const cache: Record<string, number> = {};
  await Promise.all(
    Array.from({ length: concurrency }, async (_, i) => {
      for (let n = next++; n < requests; n = next++) {
        // Distinct viewers, as on a site (the detail route counts one view per viewer a day).
        const res = await fetch(base + spec.path, { headers: { "cf-connecting-ip": `10.${i}.${(n >> 8) & 255}.${n & 255}` } });
        await res.arrayBuffer();
        if (res.status !== 200) throw new Error(`${spec.name}: GET ${spec.path} answered ${res.status}`);
        d1 += Number(res.headers.get("x-d1-queries") ?? Number.NaN);
        const state = res.headers.get("x-cache") ?? "none";
        cache[state] = (cache[state] ?? 0) + 1;
      }
    }),
  );
  return { name: spec.name, path: spec.path, requests, d1Queries: d1, perThousand: (d1 / requests) * 1000, cache };
}

/** Creates a film through the admin API and waits until the home list shows it. */
async function staleness(base: string, adminToken: string): Promise<number> {
  const title = `Bench write ${crypto.randomUUID().slice(0, 8)}`;
  const res = await fetch(`${base}/api/v1/upload/media/`, {
    method: "POST",
    headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json" },
    body: JSON.stringify({ title, type: "MOVIE", category: "MOVIE_ACTION", location: "US" }),
  });
  if (res.status !== 200) throw new Error(`creating a film answered ${res.status}: ${await res.text()}`);
  const written = performance.now();
  for (;;) {
    const home = await (await fetch(`${base}/api/v1/affair?limit=5`)).text();
    if (home.includes(title)) return performance.now() - written;
    if (performance.now() - written > 120_000) throw new Error("the write never showed in the home list");
    await new Promise((r) => setTimeout(r, 20));
  }
}

export async function runHotBench(base: string, specs: EndpointSpec[], opts: LoadOptions & { adminToken: string; requests?: number }): Promise<HotResult> {
  const queries: QueryCount[] = [];
  for (const spec of specs) {
    const q = await countQueries(base, spec, opts.requests ?? 1000, opts.connections);
    process.stderr.write(`  ${spec.name.padEnd(48)} ${q.perThousand.toFixed(1).padStart(7)} D1 queries / 1,000 requests  ${JSON.stringify(q.cache)}\n`);
    queries.push(q);
  }
  const suite = await runSuite(base, specs, opts);
  const stalenessMs: number[] = [];
  for (let i = 0; i < 3; i++) stalenessMs.push(await staleness(base, opts.adminToken));
  return { ...suite, queries, stalenessMs };
}
