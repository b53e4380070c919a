// A video file of any size, cheap to make: a real MP4 (ffmpeg from lavfi, moov first) followed by one
// ISO-BMFF `free` box that pads it to the size wanted. The file is valid (players and ffprobe skip free
// boxes; the demuxer never reads past the media data), so the edge accepts it as a video and the
// transcoder transcodes the clip, while the upload and the transcoder's download move every byte.
// The padding is a hole in the file (truncate), so writing 1 GiB costs nothing.
import { execFileSync } from "node:child_process";
import { appendFileSync, statSync, truncateSync } from "node:fs";

export interface PaddedClip {
  file: string;
  bytes: number;
  clipBytes: number;
  seconds: number;
  width: number;
  height: number;
}

export function makePaddedClip(file: string, opts: { seconds: number; width: number; height: number; bytes: number }): PaddedClip {
  execFileSync("ffmpeg", [
    ...["-hide_banner", "-loglevel", "error", "-nostdin", "-y"],
    ...["-f", "lavfi", "-i", `testsrc2=size=${opts.width}x${opts.height}:rate=25:duration=${opts.seconds}`],
    ...["-f", "lavfi", "-i", `sine=frequency=440:sample_rate=48000:duration=${opts.seconds}`],
    ...["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-g", "50", "-c:a", "aac", "-b:a", "64k", "-shortest"],
    ...["-movflags", "+faststart", file],
  ]);
  const clipBytes = statSync(file).size;
  const pad = opts.bytes - clipBytes;
  if (pad < 8) throw new Error(`the clip alone is ${clipBytes} bytes, more than the ${opts.bytes} wanted`);
  if (pad > 0xffffffff) throw new Error("padding over 4 GiB needs a 64-bit box size");
  const header = Buffer.alloc(8);
  header.writeUInt32BE(pad, 0);
  header.write("free", 4, "latin1");
  appendFileSync(file, header);
  truncateSync(file, opts.bytes);
  return { file, bytes: opts.bytes, clipBytes, seconds: opts.seconds, width: opts.width, height: opts.height };
}
