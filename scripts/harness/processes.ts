// The processes of a local stack. Each runs in its own process group (detached), so stopping it stops
// what it spawned too (wrangler → workerd, tsx → node → ffmpeg). A ProcessGroup (npm start) also writes
// their group ids to a pid file: a stack whose supervisor was killed outright (SIGKILL, closed terminal)
// is cleaned up by the next start instead of leaving ports bound.
import { type ChildProcess, spawn } from "node:child_process";
import { type WriteStream, createWriteStream, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";

/** What a service printed, kept in memory up to this many characters (the latest). */
const KEEP_OUTPUT = 1_000_000;

export interface SpawnOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Appends everything the process prints to this file. */
  logFile?: string;
  /** Echoes every line it prints to our stdout, prefixed with `[name] `. */
  echo?: boolean;
  /** Register with this group (its log dir, echo and pid file) instead. */
  group?: ProcessGroup;
}

/** One child process in a process group of its own. */
export class Service {
  readonly child: ChildProcess;
  readonly pid: number;
  /** The exit code; null when a signal ended it. */
  readonly exited: Promise<number | null>;
  /** Set by stop(): an exit after it is expected. */
  stopping = false;
  /** Called when the process exits while nobody was stopping it. */
  onUnexpectedExit: ((code: number | null, signal: NodeJS.Signals | null) => void) | null = null;
  #output = "";

  constructor(
    readonly name: string,
    command: string,
    args: string[],
    opts: Omit<SpawnOptions, "group"> = {},
  ) {
    const log: WriteStream | null = opts.logFile ? createWriteStream(opts.logFile, { flags: "a" }) : null;
    this.child = spawn(command, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ["ignore", "pipe", "pipe"], detached: true });
    const prefix = `[${name}] `;
    let pending = "";
    const onData = (chunk: Buffer) => {
      log?.write(chunk);
      this.#output = (this.#output + chunk.toString()).slice(-KEEP_OUTPUT);
      if (!opts.echo) return;
      pending += chunk.toString();
      const lines = pending.split("\n");
      pending = lines.pop() ?? "";
      for (const line of lines) if (line.trim()) process.stdout.write(prefix + line + "\n");
    };
    this.child.stdout!.on("data", onData);
    this.child.stderr!.on("data", onData);
    this.exited = new Promise((resolve) =>
      this.child.once("exit", (code, signal) => {
        log?.end();
        resolve(code);
        if (!this.stopping) this.onUnexpectedExit?.(code, signal);
      }),
    );
    this.child.once("error", (e) => {
      this.#output += `could not start ${command}: ${e.message}\n`;
      if (opts.echo) process.stdout.write(`${prefix}could not start ${command}: ${e.message}\n`);
    });
    if (this.child.pid === undefined) throw new Error(`could not start ${command}`);
    this.pid = this.child.pid;
  }

  /** Everything it printed (stdout and stderr), the latest megabyte. */
  logs(): string {
    return this.#output;
  }

  isRunning(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Signals the whole process group (SIGKILL: a crash of the service and all it spawned). */
  signal(sig: NodeJS.Signals): void {
    try {
      process.kill(-this.pid, sig);
    } catch {
      // the group is gone
    }
  }

  /** SIGTERM to the group, SIGKILL after `graceMs`; then whatever is left of the group goes too. */
  async stop(graceMs = 10_000): Promise<void> {
    this.stopping = true;
    if (this.isRunning()) {
      this.signal("SIGTERM");
      let timer: NodeJS.Timeout | undefined;
      const timedOut = await Promise.race([this.exited.then(() => false), new Promise<boolean>((r) => (timer = setTimeout(() => r(true), graceMs)))]);
      clearTimeout(timer);
      if (timedOut) process.stderr.write(`[${this.name}] did not stop within ${graceMs / 1000} s: killing it\n`);
    }
    // A grandchild that ignored SIGTERM, or lives on after its parent.
    this.signal("SIGKILL");
    await this.exited;
  }
}

/** Starts a service: on its own, or as a member of a group. */
export function spawnService(name: string, command: string, args: string[], opts: SpawnOptions = {}): Service {
  const { group, ...rest } = opts;
  return group ? group.start(name, command, args, rest) : new Service(name, command, args, rest);
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
};

const cmdlineOf = (pid: number) => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean).join(" ");
  } catch {
    return null;
  }
};

interface PidRow {
  name: string;
  pid: number;
  cmdline: string;
}

/** The services of one `npm start`: logs in files, echoed with a prefix, recorded in a pid file. */
export class ProcessGroup {
  readonly procs: Service[] = [];
  onUnexpectedExit: ((name: string, code: number | null, signal: NodeJS.Signals | null) => void) | null = null;
  readonly logDir: string;
  readonly pidFile: string;
  readonly echo: boolean;

  constructor({ logDir, pidFile, echo = true }: { logDir: string; pidFile: string; echo?: boolean }) {
    this.logDir = logDir;
    this.pidFile = pidFile;
    this.echo = echo;
    mkdirSync(logDir, { recursive: true });
  }

  /**
   * Stops the process groups a previous, killed supervisor left behind (only those it recorded, the
   * last started first): SIGTERM, so Redis flushes its append-only file, then SIGKILL.
   */
  static async reapStale(pidFile: string, log: (s: string) => void = console.log): Promise<string[]> {
    if (!existsSync(pidFile)) return [];
    let recorded: PidRow[] = [];
    try {
      recorded = JSON.parse(readFileSync(pidFile, "utf8")) as PidRow[];
    } catch {
      recorded = [];
    }
    const reaped: string[] = [];
    for (const { name, pid, cmdline } of recorded.reverse()) {
      // The pid must still run the command we started: pids are reused.
      if (!alive(pid) || cmdlineOf(pid) !== cmdline) continue;
      log(`stopping ${name} (pid ${pid}) left over from a previous start`);
      const signal = (sig: NodeJS.Signals) => {
        try {
          process.kill(-pid, sig);
        } catch {
          // gone meanwhile
        }
      };
      signal("SIGTERM");
      const deadline = Date.now() + 10_000;
      while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      signal("SIGKILL");
      reaped.push(name);
    }
    rmSync(pidFile, { force: true });
    return reaped;
  }

  start(name: string, command: string, args: string[], opts: Omit<SpawnOptions, "group"> = {}): Service {
    const svc = new Service(name, command, args, { logFile: path.join(this.logDir, `${name}.log`), echo: this.echo, ...opts });
    svc.onUnexpectedExit = (code, signal) => this.onUnexpectedExit?.(name, code, signal);
    this.procs.push(svc);
    this.#writePids();
    return svc;
  }

  isRunning(name: string): boolean {
    return this.procs.some((p) => p.name === name && p.isRunning());
  }

  #writePids() {
    const rows = this.procs
      .map((p) => ({ name: p.name, pid: p.pid, cmdline: cmdlineOf(p.pid) }))
      .filter((r): r is PidRow => !!r.cmdline);
    mkdirSync(path.dirname(this.pidFile), { recursive: true });
    writeFileSync(this.pidFile, JSON.stringify(rows, null, 2));
  }

  /** Stops every process, the last started first (transcoder, edge, then Redis). */
  async stopAll(): Promise<void> {
    for (const p of [...this.procs].reverse()) await p.stop();
    rmSync(this.pidFile, { force: true });
  }

  /** A second Ctrl-C: no more waiting. */
  killAll(): void {
    for (const p of this.procs) p.signal("SIGKILL");
  }
}
