// A one-second ladder at start-up: proves the ffmpeg found can run the very command the jobs use
// (old builds list libx264 and aac but lack `name:` in -var_stream_map, or crash in the HLS muxer).
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { MASTER_PLAYLIST, renditionPlaylist } from "../../../schema/keys";
import { buildHlsCommand } from "../command";
import { readMasterPlaylist, readMediaPlaylist } from "../playlists";
import { FfmpegRunFailed, runFfmpeg } from "./fluent";

export async function hlsSelfTest(): Promise<void> {
  const dir = await mkdtemp(path.join(tmpdir(), "ffmpeg-selftest-"));
  try {
    const input = path.join(dir, "in.mp4");
    await runFfmpeg({
      inputs: [
        { source: "testsrc=size=128x72:rate=10:duration=1", options: ["-hide_banner", "-nostdin", "-loglevel", "error", "-f", "lavfi"] },
        { source: "sine=frequency=440:duration=1", options: ["-f", "lavfi"] },
      ],
      outputOptions: ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest"],
      output: input,
    });
    const out = path.join(dir, "out");
    await runFfmpeg(
      buildHlsCommand({
        input,
        inputFormat: "mov",
        outputDir: out,
        rungs: [
          { name: "a", width: 128, height: 72, videoKbps: 100, maxrateKbps: 110, bufsizeKbps: 200, audioKbps: 64 },
          { name: "b", width: 64, height: 36, videoKbps: 50, maxrateKbps: 55, bufsizeKbps: 100, audioKbps: 64 },
        ],
        source: { hasAudio: true, duration: 1, fps: 10 },
        segmentSeconds: 2,
        preset: "ultrafast",
        silentAudio: false,
      }),
    );
    readMasterPlaylist(await readFile(path.join(out, MASTER_PLAYLIST), "utf8"));
    for (const name of ["a", "b"]) readMediaPlaylist(await readFile(path.join(out, renditionPlaylist(name)), "utf8"), renditionPlaylist(name));
  } catch (e) {
    const detail = e instanceof FfmpegRunFailed ? `${e.message}\n${e.stderrTail}` : (e as Error).message;
    throw new Error(`ffmpeg failed the start-up self-test (a one-second two-rung HLS ladder): ${detail.trim()}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
