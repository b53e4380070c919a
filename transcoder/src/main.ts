// `npm run transcoder` / the container's entry: intake (or pull bridge) and worker in one process.
import { ConfigError, loadConfig } from "./config";
import { locateFfmpeg } from "./ffmpeg/locate";
import { log } from "./log";
import { startTranscoder } from "./service";

async function main(): Promise<void> {
  const cfg = loadConfig();
  const ffmpeg = await locateFfmpeg();
  log.info(`ffmpeg: ${ffmpeg.ffmpeg} (${ffmpeg.ffmpegFrom}; ${ffmpeg.version}); ffprobe: ${ffmpeg.ffprobe} (${ffmpeg.ffprobeFrom})`);
  const t = await startTranscoder(cfg, ffmpeg, { worker: cfg.WORKER });

  let firstSignalAt = 0;
  const shutdown = (sig: string) => {
    if (firstSignalAt) {
      // tsx relays the signal its process group already delivered to us: a repeat within a
      // moment is that echo. A later one means "now": running jobs are left to the stalled checker.
      if (Date.now() - firstSignalAt < 1000) return;
      log.warn(`${sig} again: exiting at once`);
      process.exit(1);
    }
    firstSignalAt = Date.now();
    log.info(`${sig}: stopping (running jobs go back to the queue)`);
    t.stop().then(
      () => {
        log.info("stopped");
        process.exit(0);
      },
      (e: Error) => {
        log.error(`stop failed: ${e.message}`);
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", () => shutdown("SIGTERM"));
  process.on("SIGINT", () => shutdown("SIGINT"));
}

main().catch((e: Error) => {
  log.error(e instanceof ConfigError ? e.message : `could not start: ${e.message}`);
  process.exit(1);
});
