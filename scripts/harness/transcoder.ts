// The transcoder (`tsx transcoder/src/main.ts`) against an edge and a Redis.
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { ROOT } from "./config";
import { freePort, waitFor } from "./ports";
import { type ProcessGroup, type Service, spawnService } from "./processes";

export const TSX = path.join(ROOT, "node_modules/.bin/tsx");
export const TRANSCODER_ENTRY = path.join(ROOT, "transcoder/src/main.ts");

export interface TranscoderOptions {
  edgeUrl: string;
  redisUrl: string;
  signingSecret: string;
  /** Its intake. Default: a free port. */
  intakePort?: number;
  /** Its working files, kept. Default: a new temp dir, removed by stop(). */
  tempDir?: string;
  /** More of its environment (LADDER, X264_PRESET, QUEUE_NAME …); INTAKE_PORT here wins over intakePort. */
  env?: Record<string, string>;
  /** How long stop() lets it hand its jobs back before SIGKILL (default 10 s). */
  graceMs?: number;
  /** Run as a member of this group (npm start). */
  group?: ProcessGroup;
}

export interface RunningTranscoder {
  intakeUrl: string;
  intakePort: number;
  tempDir: string;
  /** Root pid of the process group (tsx; node and ffmpeg below it). */
  pid: number;
  service: Service;
  logs(): string;
  /** Resolves with the exit code (null when a signal ended it). */
  exited: Promise<number | null>;
  /** Signals the whole process group (tsx, node, ffmpeg): SIGKILL is a container crash. */
  signal(sig: NodeJS.Signals): void;
  stop(): Promise<void>;
}

/** Starts the transcoder; resolves once its intake's /healthz answers 200. */
export async function startTranscoder(opts: TranscoderOptions): Promise<RunningTranscoder> {
  const intakePort = opts.env?.INTAKE_PORT ? Number(opts.env.INTAKE_PORT) : (opts.intakePort ?? (await freePort()));
  const ownDir = !opts.tempDir;
  const tempDir = opts.tempDir ?? mkdtempSync(path.join(tmpdir(), "transcoder-"));
  mkdirSync(tempDir, { recursive: true });
  const service = spawnService("transcoder", TSX, [TRANSCODER_ENTRY], {
    cwd: ROOT,
    group: opts.group,
    env: {
      ...process.env,
      EDGE_URL: opts.edgeUrl,
      SIGNING_SECRET: opts.signingSecret,
      REDIS_URL: opts.redisUrl,
      INTAKE_PORT: String(intakePort),
      TEMP_DIR: tempDir,
      ...opts.env,
    },
  });
  const intakeUrl = `http://127.0.0.1:${intakePort}`;
  const stop = async () => {
    await service.stop(opts.graceMs);
    // A SIGKILLed group leaves its temp dir: the next worker on it would wipe it at start.
    if (ownDir) rmSync(tempDir, { recursive: true, force: true });
  };
  try {
    await waitFor("the transcoder's intake", async () => (await fetch(`${intakeUrl}/healthz`)).ok, 60_000, () => service.isRunning());
  } catch (e) {
    await stop();
    throw new Error(`the transcoder did not start: ${(e as Error).message}\n${service.logs().slice(-20_000)}`);
  }
  return {
    intakeUrl,
    intakePort,
    tempDir,
    pid: service.pid,
    service,
    logs: () => service.logs(),
    exited: service.exited,
    signal: (sig) => service.signal(sig),
    stop,
  };
}
