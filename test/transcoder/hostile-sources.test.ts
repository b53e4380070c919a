// Sources made to hurt the transcoder (issue 12, finding 5), against real ffmpeg/ffprobe: lying
// containers, streams past the caps, formats we do not accept. Media made with lavfi, tiny.
import { copyFileSync, readFileSync, writeFileSync } from "node:fs";
import { type Server, createServer } from "node:http";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SourceLimitError, UnsupportedInputError } from "../../transcoder/src/errors";
import { probeJson } from "../../transcoder/src/ffmpeg/fluent";
import { locateFfmpeg } from "../../transcoder/src/ffmpeg/locate";
import { parseLadder } from "../../transcoder/src/ladder";
import { readMediaPlaylist } from "../../transcoder/src/playlists";
import { DEFAULT_SOURCE_LIMITS, type SourceLimits } from "../../transcoder/src/probe";
import { type TranscodeSettings, probeSource, transcodeToHls } from "../../transcoder/src/transcode";
import { ffmpegMake, makeClip, makeLyingClip, makeTempDir } from "./clips";

const settings: TranscodeSettings = {
  ladder: parseLadder("240:400,120:150"),
  segmentSeconds: 4,
  preset: "ultrafast",
  silentAudio: true,
  posterAt: 0.1,
  posterHeight: 120,
};

let tmp: ReturnType<typeof makeTempDir>;
let n = 0;
const limits = (over: Partial<SourceLimits>): SourceLimits => ({ ...DEFAULT_SOURCE_LIMITS, ...over });

async function refusal(p: Promise<unknown>): Promise<Error> {
  return p.then(
    () => {
      throw new Error("the source was accepted");
    },
    (e: Error) => e,
  );
}

interface Stream {
  codec_type: string;
  duration?: string;
}

/** Seconds of every rendition's playlist, and of each stream inside its segments. */
async function outputSeconds(out: string, renditions: string[]) {
  const playlists: number[] = [];
  const streams: number[] = [];
  for (const r of renditions) {
    const media = readMediaPlaylist(readFileSync(path.join(out, r, "index.m3u8"), "utf8"), `${r}/index.m3u8`);
    playlists.push(media.segments.reduce((a, s) => a + s.duration, 0));
    for (const seg of media.segments) {
      const json = (await probeJson(path.join(out, seg.uri))) as { streams: Stream[] };
      for (const s of json.streams) streams.push(Number(s.duration));
    }
  }
  return { playlists, streams };
}

beforeAll(async () => {
  await locateFfmpeg();
  tmp = makeTempDir("hostile-sources-");
});
afterAll(() => tmp?.cleanup());

describe("a container that lies about its duration", () => {
  it("a 2-second video claiming 3 hours makes 2 seconds of output, silent audio included", async () => {
    const liar = makeLyingClip(tmp.dir, "liar", { seconds: 2, claimSeconds: 3 * 3600 });
    // The trap is real: ffprobe believes the container.
    expect(Number(((await probeJson(liar)) as { format: { duration: string } }).format.duration)).toBe(10_800);

    const out = path.join(tmp.dir, `out-${++n}`);
    // A duration cap far below the claim: the measured length is what counts.
    const result = await transcodeToHls({ input: liar, outputDir: out, settings: { ...settings, limits: limits({ maxDurationSeconds: 60 }) } });
    expect(result.source.duration).toBeCloseTo(2, 1);
    expect(result.source.demuxer).toBe("matroska");
    expect(result.duration).toBeLessThanOrEqual(2.5);
    expect(result.segmentCount).toBe(1);
    const seconds = await outputSeconds(out, result.rungs.map((r) => r.name));
    for (const s of seconds.playlists) expect(s).toBeLessThanOrEqual(2.5);
    // Video and the silent AAC filler alike, in every segment.
    expect(seconds.streams.length).toBe(2 * result.rungs.length);
    for (const s of seconds.streams) expect(s).toBeLessThanOrEqual(2.5);
  });

  it("an audio track far longer than the video does not stretch the output past the video", async () => {
    const file = path.join(tmp.dir, "long-audio.mp4");
    ffmpegMake([
      "-f", "lavfi", "-i", "testsrc=size=160x120:rate=10:duration=2",
      "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=8000:duration=30",
      "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "16k", file,
    ]);
    const out = path.join(tmp.dir, `out-${++n}`);
    const result = await transcodeToHls({ input: file, outputDir: out, settings });
    expect(result.source.duration).toBeCloseTo(2, 1);
    const seconds = await outputSeconds(out, result.rungs.map((r) => r.name));
    for (const s of [...seconds.playlists, ...seconds.streams]) expect(s).toBeLessThanOrEqual(2.5);
  });

  it("a stream whose timestamps jump two hours ahead is measured as two hours and refused at once", async () => {
    const file = path.join(tmp.dir, "gap.mkv");
    ffmpegMake([
      "-f", "lavfi", "-i", "testsrc=size=160x120:rate=1:duration=3",
      "-vf", "setpts='if(gte(N,2),7200/TB,PTS)'", "-fps_mode", "passthrough",
      "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", file,
    ]);
    const e = await refusal(probeSource(file, undefined, limits({ maxDurationSeconds: 3600 })));
    expect(e).toBeInstanceOf(SourceLimitError);
    expect(e.message).toMatch(/video stream lasts more than MAX_DURATION_SECONDS \(3600 s\)/);
  });
});

describe("caps (SourceLimitError: the job fails for good)", () => {
  it("refuses a video stream longer than MAX_DURATION_SECONDS", async () => {
    const file = makeClip(tmp.dir, "three-seconds", { seconds: 3, width: 160, height: 120, audio: false });
    const e = await refusal(probeSource(file, undefined, limits({ maxDurationSeconds: 2 })));
    expect(e).toBeInstanceOf(SourceLimitError);
    expect(e.message).toMatch(/MAX_DURATION_SECONDS \(2 s\)/);
  });

  it("refuses frames over MAX_FRAME_PIXELS, naming the size", async () => {
    const file = makeClip(tmp.dir, "qvga", { seconds: 1, width: 320, height: 240, audio: false });
    const e = await refusal(probeSource(file, undefined, limits({ maxFramePixels: 320 * 240 - 1 })));
    expect(e).toBeInstanceOf(SourceLimitError);
    expect(e.message).toMatch(/320x240 \(76800 pixels\), over MAX_FRAME_PIXELS \(76799\)/);
    expect((await probeSource(file, undefined, limits({ maxFramePixels: 320 * 240 }))).width).toBe(320);
  });

  it("stops a stream whose frames grow past the cap mid-way (the probe saw only the first size)", async () => {
    const parts = ["160x120", "640x480"].map((size, i) => {
      const file = path.join(tmp.dir, `grow-${i}.ts`);
      ffmpegMake(["-f", "lavfi", "-i", `testsrc=size=${size}:rate=10:duration=2`, "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-f", "mpegts", file]);
      return file;
    });
    const list = path.join(tmp.dir, "grow.txt");
    writeFileSync(list, parts.map((f) => `file '${f}'\n`).join(""));
    const file = path.join(tmp.dir, "grow.ts");
    ffmpegMake(["-f", "concat", "-safe", "0", "-i", list, "-c", "copy", file]);

    const cap = limits({ maxFramePixels: 20_000 });
    expect((await probeSource(file, undefined, cap)).width).toBe(160);
    const e = await refusal(transcodeToHls({ input: file, outputDir: path.join(tmp.dir, `out-${++n}`), settings: { ...settings, limits: cap } }));
    expect(e).toBeInstanceOf(SourceLimitError);
    expect(e.message).toMatch(/a frame of the source is larger than MAX_FRAME_PIXELS \(20000\) allows/);
  });

  it("refuses a frame rate over MAX_FRAME_RATE, measured from the stream", async () => {
    const file = makeClip(tmp.dir, "sixty", { seconds: 1, width: 160, height: 120, fps: 60, audio: false });
    const e = await refusal(probeSource(file, undefined, limits({ maxFrameRate: 30 })));
    expect(e).toBeInstanceOf(SourceLimitError);
    expect(e.message).toMatch(/at 6\d\.\d frames per second, over MAX_FRAME_RATE \(30\)/);
    expect((await probeSource(file, undefined, limits({ maxFrameRate: 60 }))).fps).toBeCloseTo(60, 0);
  });
});

describe("the input format: sniffed among allowed demuxers, then forced", () => {
  let server: Server;
  let hits = 0;
  let origin = "";
  beforeAll(async () => {
    server = createServer((req, res) => {
      hits++;
      res.writeHead(200, { "content-type": "video/mp2t" });
      res.end();
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it("goes by the bytes, not the name: Matroska called .mp4 is probed and forced as matroska", async () => {
    const mkv = makeClip(tmp.dir, "really-mkv", { seconds: 1, width: 160, height: 120, ext: ".mkv", audio: false });
    const named = path.join(tmp.dir, "really-mkv-named.mp4");
    copyFileSync(mkv, named);
    expect((await probeSource(named)).demuxer).toBe("matroska");
  });

  it.each([
    ["an HLS playlist naming a URL", () => `#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXTINF:4,\n${origin}/seg.ts\n#EXT-X-ENDLIST\n`],
    ["an ffconcat list naming a URL and a local file", () => `ffconcat version 1.0\nfile '${origin}/a.mp4'\nfile '/etc/passwd'\n`],
    ["an SDP description pointing at a stream", () => `v=0\no=- 0 0 IN IP4 127.0.0.1\ns=x\nc=IN IP4 127.0.0.1\nt=0 0\nm=video 5004 RTP/AVP 96\na=rtpmap:96 H264/90000\n`],
  ])("refuses %s without opening anything", async (_, text) => {
    const file = path.join(tmp.dir, `text-${++n}.mp4`);
    writeFileSync(file, text());
    const e = await refusal(probeSource(file));
    expect(e).toBeInstanceOf(UnsupportedInputError);
    expect(hits).toBe(0);
  });

  it("refuses a real video in a container off the list (NUT)", async () => {
    const file = path.join(tmp.dir, "video.nut");
    ffmpegMake(["-f", "lavfi", "-i", "testsrc=size=160x120:rate=10:duration=1", "-c:v", "mpeg4", file]);
    const e = await refusal(probeSource(file));
    expect(e).toBeInstanceOf(UnsupportedInputError);
    expect(e.message).toMatch(/not a readable video in an accepted container/);
  });
});
