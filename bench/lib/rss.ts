// Resident memory of process trees, sampled from /proc (Linux only): each root process plus every
// descendant (wrangler → workerd, tsx → node → ffmpeg), summed, at a fixed interval.
import { readFileSync, readdirSync } from "node:fs";

export interface TreeSample {
  /** ms since the sampler started. */
  t: number;
  /** KiB, summed over the tree. */
  total: number;
  /** KiB by process name (comm), summed. */
  byName: Record<string, number>;
}

function parentsOfAll(): Map<number, number> {
  const parents = new Map<number, number>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      // The name is in parentheses and may contain spaces or parentheses: parse after the last ')'.
      const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      parents.set(Number(entry), Number(rest[1]));
    } catch {
      // gone meanwhile
    }
  }
  return parents;
}

export function descendantsOf(root: number, parents = parentsOfAll()): number[] {
  const children = new Map<number, number[]>();
  for (const [pid, ppid] of parents) children.set(ppid, [...(children.get(ppid) ?? []), pid]);
  const out: number[] = [];
  const todo = [root];
  while (todo.length) {
    const pid = todo.pop()!;
    if (!parents.has(pid)) continue;
    out.push(pid);
    todo.push(...(children.get(pid) ?? []));
  }
  return out;
}

function rssOf(pid: number): { name: string; kib: number } | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kib = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? 0);
    const name = /^Name:\s+(.*)$/m.exec(status)?.[1] ?? "?";
    return { name, kib };
  } catch {
    return null;
  }
}

export function treeRss(root: number, parents = parentsOfAll()): Omit<TreeSample, "t"> {
  const byName: Record<string, number> = {};
  let total = 0;
  for (const pid of descendantsOf(root, parents)) {
    const r = rssOf(pid);
    if (!r) continue;
    total += r.kib;
    byName[r.name] = (byName[r.name] ?? 0) + r.kib;
  }
  return { total, byName };
}

/** Samples several named trees every `intervalMs` until stop(). */
export class RssSampler {
  readonly series: Record<string, TreeSample[]> = {};
  private timer: NodeJS.Timeout | null = null;
  readonly started = Date.now();

  private readonly roots = new Map<string, number>();

  constructor(
    roots: Record<string, number>,
    private readonly intervalMs = 100,
  ) {
    for (const [name, pid] of Object.entries(roots)) this.track(name, pid);
  }

  /** Samples one more tree from now on (its series keeps what it had). */
  track(name: string, pid: number) {
    this.roots.set(name, pid);
    this.series[name] ??= [];
  }

  /** Stops sampling a tree; its series stays. */
  untrack(name: string) {
    this.roots.delete(name);
  }

  start(): this {
    this.sample();
    this.timer = setInterval(() => this.sample(), this.intervalMs);
    return this;
  }

  stop() {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.sample();
  }

  /** ms since start, on the sampler's clock. */
  now(): number {
    return Date.now() - this.started;
  }

  private sample() {
    const t = this.now();
    const parents = parentsOfAll();
    for (const [name, pid] of this.roots) this.series[name]!.push({ t, ...treeRss(pid, parents) });
  }

  /** The last sample at or before time t (ms on the sampler's clock): the tree as it was then. */
  at(name: string, t: number): TreeSample {
    const s = this.series[name]!;
    return s.findLast((x) => x.t <= t) ?? s[0]!;
  }

  /** The largest sample in [from, to]. */
  peak(name: string, from = 0, to = Number.POSITIVE_INFINITY): TreeSample {
    const inWindow = this.series[name]!.filter((x) => x.t >= from && x.t <= to);
    return inWindow.reduce((a, b) => (b.total > a.total ? b : a), inWindow[0] ?? this.at(name, from));
  }
}

export const mib = (kib: number) => Math.round((kib / 1024) * 10) / 10;
