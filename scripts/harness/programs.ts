// Programs the stack needs from Debian (redis-server, ffmpeg, chromium): scripts/system-deps.sh installs
// the missing ones (as root; otherwise it prints the apt-get line).
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { ROOT } from "./config";

/** The full path of a program on PATH, or null. */
export function onPath(name: string): string | null {
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    if (dir && existsSync(path.join(dir, name))) return path.join(dir, name);
  }
  return null;
}

export function ensureSystemDeps(deps: string[]): void {
  const r = spawnSync("bash", [path.join(ROOT, "scripts/system-deps.sh"), ...deps], { stdio: "inherit" });
  if (r.status !== 0) throw new Error(`could not install ${deps.join(", ")} (scripts/system-deps.sh failed)`);
}
