import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../transcoder/src/config";
import { locateFfmpeg } from "../../transcoder/src/ffmpeg/locate";

describe("loadConfig", () => {
  it("fills defaults around the one required secret", () => {
    const cfg = loadConfig({ SIGNING_SECRET: "s" });
    expect(cfg).toMatchObject({
      EDGE_URL: "http://127.0.0.1:8787",
      INTAKE_PORT: 8789,
      CONCURRENCY: 1,
      BRIDGE: "push",
      SEGMENT_SECONDS: 4,
      SILENT_AUDIO: true,
    });
    expect(cfg.LADDER.map((r) => r.name)).toEqual(["1080p", "720p", "480p", "360p"]);
  });

  it("reads the environment's strings, empty meaning unset", () => {
    const cfg = loadConfig({ SIGNING_SECRET: "s", CONCURRENCY: "3", LADDER: "480:1200,240:300:64", SILENT_AUDIO: "false", JOB_TIMEOUT_MS: "" });
    expect(cfg.CONCURRENCY).toBe(3);
    expect(cfg.LADDER.map((r) => [r.height, r.videoKbps, r.audioKbps])).toEqual([
      [480, 1200, 128],
      [240, 300, 64],
    ]);
    expect(cfg.SILENT_AUDIO).toBe(false);
    expect(cfg.JOB_TIMEOUT_MS).toBe(3 * 60 * 60 * 1000);
  });

  it.each([
    [{}, "SIGNING_SECRET"],
    [{ SIGNING_SECRET: "s", CONCURRENCY: "0" }, "CONCURRENCY"],
    [{ SIGNING_SECRET: "s", EDGE_URL: "not a url" }, "EDGE_URL"],
    [{ SIGNING_SECRET: "s", REDIS_URL: "http://x" }, "REDIS_URL"],
    [{ SIGNING_SECRET: "s", LADDER: "720p" }, "LADDER"],
    [{ SIGNING_SECRET: "s", BRIDGE: "pull" }, "CF_ACCOUNT_ID, CF_QUEUE_ID, CF_API_TOKEN"],
    [{ SIGNING_SECRET: "s", X264_PRESET: "turbo" }, "X264_PRESET"],
    [{ SIGNING_SECRET: "s", MAX_SOURCE_BYTES: "0" }, "MAX_SOURCE_BYTES"],
    [{ SIGNING_SECRET: "s", MAX_DURATION_SECONDS: "-1" }, "MAX_DURATION_SECONDS"],
    [{ SIGNING_SECRET: "s", MAX_FRAME_PIXELS: "lots" }, "MAX_FRAME_PIXELS"],
    [{ SIGNING_SECRET: "s", MAX_FRAME_RATE: "5000" }, "MAX_FRAME_RATE"],
    [{ SIGNING_SECRET: "s", EDGE_URL: "ftp://edge.example.com" }, "EDGE_URL"],
    [{ SIGNING_SECRET: "s", ALLOW_INSECURE_EDGE: "maybe" }, "ALLOW_INSECURE_EDGE"],
  ])("refuses %j naming the variable", (env, name) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(name);
  });

  it("has caps on sources, from the environment", () => {
    expect(loadConfig({ SIGNING_SECRET: "s" })).toMatchObject({
      MAX_SOURCE_BYTES: 10 * 1024 ** 3,
      MAX_DURATION_SECONDS: 6 * 3600,
      MAX_FRAME_PIXELS: 4096 * 4096,
      MAX_FRAME_RATE: 120,
    });
    const cfg = loadConfig({ SIGNING_SECRET: "s", MAX_SOURCE_BYTES: "1000", MAX_DURATION_SECONDS: "60", MAX_FRAME_PIXELS: "921600", MAX_FRAME_RATE: "30" });
    expect(cfg).toMatchObject({ MAX_SOURCE_BYTES: 1000, MAX_DURATION_SECONDS: 60, MAX_FRAME_PIXELS: 921_600, MAX_FRAME_RATE: 30 });
  });

  it.each(["http://10.0.0.5:8787", "http://edge.example.com", "http://127.0.0.1.attacker.test", "http://[::2]:8787"])(
    "refuses a plain-http EDGE_URL off this machine (%s) with a message saying what to do",
    (url) => {
      const e = (() => {
        try {
          loadConfig({ SIGNING_SECRET: "s", EDGE_URL: url });
        } catch (err) {
          return err as Error;
        }
      })();
      expect(e).toBeInstanceOf(ConfigError);
      expect(e?.message).toMatch(/EDGE_URL .* is plain http to another machine/);
      expect(e?.message).toMatch(/ALLOW_INSECURE_EDGE=true/);
    },
  );

  it.each(["https://edge.example.com", "http://127.0.0.1:8787", "http://127.8.9.10", "http://localhost:8787", "http://[::1]:8787"])(
    "accepts %s as EDGE_URL",
    (url) => expect(loadConfig({ SIGNING_SECRET: "s", EDGE_URL: url }).EDGE_URL).toBe(url),
  );

  it("accepts plain http to another machine when ALLOW_INSECURE_EDGE=true", () => {
    expect(loadConfig({ SIGNING_SECRET: "s", EDGE_URL: "http://10.0.0.5:8787", ALLOW_INSECURE_EDGE: "true" }).ALLOW_INSECURE_EDGE).toBe(true);
  });
});

describe("locateFfmpeg", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "locate-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("uses the system's ffmpeg when nothing else is configured (ffmpeg-static is not installed)", async () => {
    const found = await locateFfmpeg({ PATH: process.env.PATH });
    expect(found).toMatchObject({ ffmpeg: "/usr/bin/ffmpeg", ffmpegFrom: "system", ffprobe: "/usr/bin/ffprobe", ffprobeFrom: "system" });
    expect(found.version).toMatch(/^ffmpeg version/);
  });

  it("prefers FFMPEG_PATH / FFPROBE_PATH", async () => {
    const found = await locateFfmpeg({ PATH: "", FFMPEG_PATH: "/usr/bin/ffmpeg", FFPROBE_PATH: "/usr/bin/ffprobe" });
    expect(found).toMatchObject({ ffmpegFrom: "env", ffprobeFrom: "env" });
  });

  it("refuses a FFMPEG_PATH that is not an executable", async () => {
    await expect(locateFfmpeg({ FFMPEG_PATH: path.join(dir, "nope") })).rejects.toThrow(/not an executable file/);
  });

  it("fails start-up with a clear message when the ffmpeg found lacks libx264", async () => {
    // A stand-in for an ffmpeg built without GPL encoders: it lists aac only.
    const fake = path.join(dir, "ffmpeg");
    writeFileSync(
      fake,
      '#!/bin/sh\ncase "$*" in\n  *-version*) echo "ffmpeg version 9.9-nogpl";;\n  *-encoders*) echo " A..... aac                  AAC (Advanced Audio Coding)";;\nesac\n',
    );
    chmodSync(fake, 0o755);
    await expect(locateFfmpeg({ FFMPEG_PATH: fake, PATH: process.env.PATH })).rejects.toThrow(/lacks the libx264 encoder/);
  });

  it("falls back to @ffmpeg-installer last, and its 2018 build fails the HLS self-test with a clear message", async () => {
    const err = await locateFfmpeg({ PATH: "" }).then(
      () => null,
      (e: Error) => e,
    );
    expect(err?.message).toMatch(/found via @ffmpeg-installer/);
    expect(err?.message).toMatch(/cannot make our HLS ladder/);
    expect(err?.message).toMatch(/use ffmpeg 5 or newer/);
    // Put the good one back for the files that follow in this worker.
    await locateFfmpeg();
  });
});
