// What a figure was measured on: printed beside every table, since absolute times only mean something
// on the machine that produced them (the ratios are what carry over).
import { spawnSync } from "node:child_process";
import { cpus, totalmem } from "node:os";

export interface Machine {
  cpu: string;
  cores: number;
  memoryGiB: number;
  node: string;
  ffmpeg: string;
  platform: string;
  date: string;
}

export function machine(): Machine {
  const ff = spawnSync("ffmpeg", ["-hide_banner", "-version"], { encoding: "utf8" });
  return {
    cpu: cpus()[0]?.model.trim() ?? "unknown",
    cores: cpus().length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    ffmpeg: /ffmpeg version (\S+)/.exec(ff.stdout ?? "")?.[1] ?? "unknown",
    platform: `${process.platform} ${process.arch}`,
    date: new Date().toISOString(),
  };
}

export const describeMachine = (m: Machine) => `${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, Node ${m.node}, ffmpeg ${m.ffmpeg}, ${m.platform}`;
