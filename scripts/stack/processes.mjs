// The processes of the local stack. Each runs in its own process group (detached), so stopping it
// stops what it spawned too (wrangler → workerd, tsx → node). Their group ids are written to a pid
// file: a stack whose supervisor was killed outright (SIGKILL, closed terminal) is cleaned up by the
// next start instead of leaving ports bound.
import { spawn } from "node:child_process";
import { createWriteStream, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";

const alive = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code === "EPERM";
  }
};

const cmdlineOf = (pid) => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean).join(" ");
  } catch {
    return null;
  }
};

export class ProcessGroup {
  /** @param {{ logDir: string, pidFile: string, echo?: boolean }} opts */
  constructor({ logDir, pidFile, echo = true }) {
    this.logDir = logDir;
    this.pidFile = pidFile;
    this.echo = echo;
    /** @type {{ name: string, child: import("node:child_process").ChildProcess, exited: Promise<number | null>, stopping: boolean }[]} */
    this.procs = [];
    this.onUnexpectedExit = null;
    mkdirSync(logDir, { recursive: true });
  }

  /**
   * Stops the process groups a previous, killed supervisor left behind (only those it recorded, the
   * last started first): SIGTERM, so Redis flushes its append-only file, then SIGKILL.
   */
  static async reapStale(pidFile, log = console.log) {
    if (!existsSync(pidFile)) return [];
    let recorded = [];
    try {
      recorded = JSON.parse(readFileSync(pidFile, "utf8"));
    } catch {
      recorded = [];
    }
    const reaped = [];
    for (const { name, pid, cmdline } of recorded.reverse()) {
      // The pid must still run the command we started: pids are reused.
      if (!alive(pid) || cmdlineOf(pid) !== cmdline) continue;
      log(`stopping ${name} (pid ${pid}) left over from a previous start`);
      const signal = (sig) => {
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

  start(name, command, args, { env = process.env, cwd } = {}) {
    const log = createWriteStream(path.join(this.logDir, `${name}.log`), { flags: "a" });
    const child = spawn(command, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"], detached: true });
    const prefix = `[${name}] `;
    let pending = "";
    const onData = (chunk) => {
      log.write(chunk);
      if (!this.echo) return;
      pending += chunk;
      const lines = pending.split("\n");
      pending = lines.pop() ?? "";
      for (const line of lines) if (line.trim()) process.stdout.write(prefix + line + "\n");
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    const entry = {
      name,
      child,
      stopping: false,
      exited: new Promise((resolve) =>
        child.once("exit", (code, signal) => {
          log.end();
          resolve(code ?? (signal ? 128 : 0));
          if (!entry.stopping) this.onUnexpectedExit?.(name, code, signal);
        }),
      ),
    };
    child.once("error", (e) => {
      process.stdout.write(`${prefix}could not start ${command}: ${e.message}\n`);
    });
    this.procs.push(entry);
    this.#writePids();
    return entry;
  }

  isRunning(name) {
    const p = this.procs.find((x) => x.name === name);
    return !!p && p.child.exitCode === null && p.child.signalCode === null;
  }

  #writePids() {
    const rows = this.procs
      .filter((p) => p.child.pid !== undefined)
      .map((p) => ({ name: p.name, pid: p.child.pid, cmdline: cmdlineOf(p.child.pid) }))
      .filter((r) => r.cmdline);
    mkdirSync(path.dirname(this.pidFile), { recursive: true });
    writeFileSync(this.pidFile, JSON.stringify(rows, null, 2));
  }

  /** Stops one process group: SIGTERM, then SIGKILL after `graceMs`. */
  async stop(name, graceMs = 10_000) {
    const p = this.procs.find((x) => x.name === name);
    if (!p) return;
    p.stopping = true;
    const pid = p.child.pid;
    if (pid !== undefined && p.child.exitCode === null && p.child.signalCode === null) {
      try {
        process.kill(-pid, "SIGTERM");
      } catch {
        // already gone
      }
      const timedOut = await Promise.race([p.exited.then(() => false), new Promise((r) => setTimeout(() => r(true), graceMs))]);
      if (timedOut) process.stdout.write(`[${name}] did not stop within ${graceMs / 1000} s: killing it\n`);
    }
    // Whatever is left in the group (a grandchild that ignored SIGTERM) goes too.
    if (pid !== undefined) {
      try {
        process.kill(-pid, "SIGKILL");
      } catch {
        // the group is empty
      }
    }
    await p.exited;
  }

  /** Stops every process, the last started first (transcoder, edge, then Redis). */
  async stopAll() {
    for (const p of [...this.procs].reverse()) await this.stop(p.name);
    rmSync(this.pidFile, { force: true });
  }
}
