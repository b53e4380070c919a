// A bar per phase on stderr (redrawn in place on a terminal, a line per tenth otherwise), one line per
// object on stdout (`imported|skipped|failed <what>[: reason]`, what tests and logs follow), and the tally.

export type Outcome = "imported" | "skipped" | "failed";

export class Tally {
  readonly counts = new Map<string, Record<Outcome, number>>();
  readonly failures: string[] = [];

  /** A dry run writes nothing: what would be imported is only "valid". */
  constructor(private readonly dryRun = false) {}

  record(kind: string, outcome: Outcome, what: string, reason?: string) {
    const c = this.counts.get(kind) ?? { imported: 0, skipped: 0, failed: 0 };
    c[outcome]++;
    this.counts.set(kind, c);
    if (outcome === "failed") this.failures.push(`${what}: ${reason ?? "failed"}`);
    process.stdout.write(`${outcome === "imported" && this.dryRun ? "valid" : outcome} ${what}${reason ? `: ${reason}` : ""}\n`);
  }

  get failed(): number {
    return this.failures.length;
  }

  summary(): string {
    const lines = [this.dryRun ? "summary (dry run: nothing written)" : "summary"];
    for (const [kind, c] of this.counts) lines.push(`  ${kind.padEnd(9)} ${this.dryRun ? "valid" : "imported"} ${c.imported}, skipped ${c.skipped}, failed ${c.failed}`);
    if (this.failures.length) lines.push("failures:", ...this.failures.map((f) => `  - ${f}`));
    return `${lines.join("\n")}\n`;
  }
}

export class Bar {
  private done = 0;
  private lastTenth = -1;
  private readonly tty = process.stderr.isTTY === true;

  constructor(
    private readonly phase: string,
    private readonly total: number,
  ) {
    this.draw();
  }

  tick() {
    this.done++;
    this.draw();
  }

  private draw() {
    const ratio = this.total === 0 ? 1 : this.done / this.total;
    const width = 30;
    const filled = Math.round(ratio * width);
    const text = `${this.phase.padEnd(9)} [${"#".repeat(filled)}${" ".repeat(width - filled)}] ${this.done}/${this.total}`;
    if (this.tty) {
      process.stderr.write(`\r${text}${this.done === this.total ? "\n" : ""}`);
      return;
    }
    const tenth = Math.floor(ratio * 10);
    if (tenth !== this.lastTenth) {
      this.lastTenth = tenth;
      process.stderr.write(`${text}\n`);
    }
  }
}
