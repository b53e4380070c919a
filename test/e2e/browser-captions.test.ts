// Captions end to end on one stack (Redis, the edge under `wrangler dev`, the transcoder): the upload CLI
// stores an episode's SRT captions (and shows a bad file's reason), the admin page adds, lists and deletes
// a language, then the site plays the episode in headless Chromium with a pre-roll and a mid-roll ad: hls.js
// lists the subtitle track, the CC menu selects it, and the cues sit at their content time plus the ads
// played before them, and show while the video is at them.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jobIsOver } from "../../schema/jobs";
import { makeAdClip, makeClip } from "../../scripts/harness/media";
import { type Browser, launchBrowser } from "../support/browser";
import { ROOT, type TestStack, startStack } from "../support/stack";

// 8 s of content in 2 s segments; a 2 s ad before it and another at 4 s: 12 s of playback.
const CONTENT_SECONDS = 8;
const MID_ROLL_AT = 4;
const AD_SECONDS = 2;
/** Cues at known content times: one before the mid-roll, one after it that spans a segment boundary (6 s). */
const CUES = [
  { start: 1.0, end: 2.5, text: "Before the break" },
  { start: 5.0, end: 6.5, text: "After the break" },
];
const srtTime = (s: number) => `00:00:${String(Math.floor(s)).padStart(2, "0")},${String(Math.round((s % 1) * 1000)).padStart(3, "0")}`;
const SRT = CUES.map((c, i) => `${i + 1}\n${srtTime(c.start)} --> ${srtTime(c.end)}\n${c.text}\n`).join("\n");
/** Line 6 has a timing that is not HH:MM:SS,mmm. */
const BAD_SRT = "1\n00:00:01,000 --> 00:00:02,500\nfine\n\n2\n00:00:01,5 --> 00:00:02\nbroken\n";

let stack: TestStack;
let browser: Browser;
let work: string;
let filmId = "";
let contentJob = "";
let adJob = "";
const children: ChildProcess[] = [];

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), "captions-e2e-"));
  [stack, browser] = await Promise.all([
    startStack({ vars: { AD_BREAKS: `pre,${MID_ROLL_AT}s` }, transcoderEnv: { SEGMENT_SECONDS: "2" } }),
    launchBrowser(),
  ]);
  const content = makeClip(path.join(work, "content.mp4"), { pattern: "testsrc2", tone: 440, seconds: CONTENT_SECONDS, width: 320, height: 180 });
  const ad = makeAdClip(path.join(work, "ad.mp4"), AD_SECONDS);
  filmId = await stack.admin.createFilm({ title: `Captions test ${Date.now()}`, type: "MOVIE", category: "MOVIE_DRAMA", location: "US" });
  // Both transcode while the CLI and the admin page work: captions do not wait for the video.
  contentJob = await stack.admin.uploadEpisode(filmId, "line1", "1", content);
  adJob = (await stack.admin.uploadAd("FILM", ad, new Date(Date.now() + 86_400_000))).jobId!;
}, 240_000);

afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) process.kill(-c.pid!, "SIGKILL");
  await browser?.close();
  await stack?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

/** `npm run upload -- …` against the stack; resolves when it exits. */
function cli(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  const child = spawn(path.join(ROOT, "node_modules/.bin/tsx"), ["scripts/upload.ts", ...args, "--edge", stack.url], {
    cwd: ROOT,
    env: { ...process.env, ADMIN_TOKEN: stack.adminToken },
    stdio: ["ignore", "pipe", "pipe"],
    // tsx runs the script in a child process: a group lets afterAll kill both.
    detached: true,
  });
  children.push(child);
  let out = "";
  let err = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (err += d));
  return new Promise((resolve) => child.once("close", (code) => resolve({ code, out, err })));
}

const episodeArgs = () => ["--film", filmId, "--route", "line1", "--episode", "1"];

/**
 * Where content time `t` plays in a stitched media playlist: `t` plus the duration of every ad segment
 * (between EXT-X-CUE-OUT and EXT-X-CUE-IN) before it.
 */
function stitchedTime(playlist: string, t: number): number {
  let inAd = false;
  let duration = 0;
  let content = 0;
  let stitched = 0;
  for (const line of playlist.split("\n").map((l) => l.trim())) {
    if (line.startsWith("#EXT-X-CUE-OUT")) inAd = true;
    else if (line.startsWith("#EXT-X-CUE-IN")) inAd = false;
    else if (line.startsWith("#EXTINF:")) duration = Number.parseFloat(line.slice(8));
    else if (line && !line.startsWith("#")) {
      if (!inAd && t < content + duration) return stitched + (t - content);
      if (!inAd) content += duration;
      stitched += duration;
    }
  }
  throw new Error(`content time ${t} is past the playlist's end`);
}

describe("captions", () => {
  it("CLI: uploads SRT captions, lists them, and prints the edge's reason for a bad file (exit 1, nothing stored)", async () => {
    const good = path.join(work, "en.srt");
    const bad = path.join(work, "bad.srt");
    writeFileSync(good, SRT);
    writeFileSync(bad, BAD_SRT);

    const put = await cli(["--captions", good, "--lang", "en", "--label", "English", ...episodeArgs()]);
    expect(put.code, put.err).toBe(0);
    expect(JSON.parse(put.out)).toMatchObject({ lang: "en", label: "English", cues: 2, format: "srt", status: "created" });
    expect(put.err).toMatch(/added the English \(en\) captions .*: 2 cues from SRT/);

    const refused = await cli(["--captions", bad, "--lang", "en", ...episodeArgs()]);
    expect(refused.code, refused.err).toBe(1);
    expect(refused.err).toMatch(/^upload: 400 .*line 6\b/m);
    expect(refused.out).toBe("");

    // A language tag that is not BCP 47 is refused by the edge too, with its reason.
    const badLang = await cli(["--captions", good, "--lang", "not a tag!", ...episodeArgs()]);
    expect(badLang.code, badLang.err).toBe(1);
    expect(badLang.err).toMatch(/^upload: 400 .*lang/m);

    // The list still has the good file: the refused uploads stored nothing.
    const list = await cli(["--list-captions", ...episodeArgs()]);
    expect(list.code, list.err).toBe(0);
    const { captions } = JSON.parse(list.out) as { captions: { lang: string; label: string; cues: number; bytes: number }[] };
    expect(captions).toEqual([expect.objectContaining({ lang: "en", label: "English", cues: 2 })]);
    expect(captions[0]!.bytes).toBeGreaterThan(0);

    // An episode that does not exist: the edge's 404 reason, exit 1.
    const missing = await cli(["--list-captions", "--film", filmId, "--route", "line1", "--episode", "99"]);
    expect(missing.code, missing.err).toBe(1);
    expect(missing.err).toMatch(/^upload: 404 .*not found/m);

    // Usage errors are the CLI's own: exit 2 before any request.
    const usage = await cli(["--captions", good, ...episodeArgs()]);
    expect(usage.code).toBe(2);
    expect(usage.err).toMatch(/--lang/);
  });

  it("admin page: adds a language, shows a bad file's reason, lists and deletes", async () => {
    expect(filmId).not.toBe("");
    const vtt = path.join(work, "fr.vtt");
    const badVtt = path.join(work, "bad.vtt");
    writeFileSync(vtt, "WEBVTT\n\n00:00:01.000 --> 00:00:02.500\nAvant la pause\n");
    writeFileSync(badVtt, "WEBVTT\n\n00:00:03.000 --> 00:00:02.000\nla fin avant le début\n");
    const { page } = browser;
    await page.goto(`${stack.url}/admin`);
    await page.getByLabel("Token").fill(stack.adminToken);
    await page.getByRole("button", { name: "Use this token" }).click();
    await page.locator("#tools").waitFor({ state: "visible" });

    const form = page.locator("#captions-form");
    await form.getByLabel("Film").fill(filmId);
    await form.getByRole("button", { name: "Show captions" }).click();
    await expect.poll(() => form.locator(".status").textContent(), { timeout: 30_000 }).toMatch(/language|Failed/);
    expect(await form.locator("#captions tr").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-lang")))).toEqual(["en"]);

    await form.getByLabel("Language (BCP 47)").fill("fr");
    await form.getByLabel("Label").fill("Français");
    await form.getByLabel("Caption file (.vtt, .srt)").setInputFiles(badVtt);
    await form.getByRole("button", { name: "Upload captions" }).click();
    await expect.poll(() => form.locator(".status").textContent(), { timeout: 30_000 }).toMatch(/^(Failed|Stored)/);
    expect(await form.locator(".status").textContent()).toMatch(/^Failed: .*line 3/);
    expect(await form.locator(".status").getAttribute("class")).toContain("error");

    // Submitting sets "Uploading…" before its first await, so the poll below cannot see the last status.
    await form.getByLabel("Caption file (.vtt, .srt)").setInputFiles(vtt);
    await form.getByRole("button", { name: "Upload captions" }).click();
    await expect.poll(() => form.locator(".status").textContent(), { timeout: 30_000 }).toMatch(/^(Failed|Stored)/);
    expect(await form.locator(".status").textContent()).toBe("Stored Français (fr): 1 cue from VTT.");
    await expect.poll(() => form.locator("#captions tr").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-lang")))).toEqual(["en", "fr"]);
    expect(await form.locator("#captions tr[data-lang=fr] td").nth(1).textContent()).toBe("Français");
    await browser.screenshot("captions-admin.png");

    await form.getByRole("button", { name: "Delete the Français (fr) captions" }).click();
    await expect.poll(() => form.locator(".status").textContent(), { timeout: 30_000 }).toMatch(/^(Failed|Deleted)/);
    expect(await form.locator(".status").textContent()).toBe("Deleted the Français (fr) captions.");
    expect(await form.locator("#captions tr").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-lang")))).toEqual(["en"]);
    expect((await stack.admin.listCaptions(filmId, "line1", "1")).map((c) => c.lang)).toEqual(["en"]);
  });

  it("site player: the CC menu lists hls.js's subtitle track; its cues sit after the ads before them and show on time", async () => {
    expect(filmId).not.toBe("");
    for (const job of [contentJob, adJob]) {
      expect((await stack.admin.followJob(job, { until: jobIsOver, timeoutMs: 180_000, pollMs: 250 })).status).toBe("complete");
    }
    const { page } = browser;
    const playlists = new Map<string, Promise<string>>();
    page.on("response", (r) => {
      const kind = /\/v\/[^/?]+\.m3u8/.test(r.url()) ? "variant" : /\/s\/[^/?]+\.m3u8/.test(r.url()) ? "subtitles" : "";
      if (kind && r.status() === 200 && !playlists.has(kind)) playlists.set(kind, r.text());
    });
    await page.goto(`${stack.url}/#/film/${filmId}`);
    await page.locator("#episode-picker").waitFor({ state: "visible" });
    // Every cue that becomes active is recorded with the playback position at that moment.
    await page.evaluate(() => {
      const video = document.getElementById("video") as HTMLVideoElement;
      const seen: { t: number; text: string }[] = [];
      (window as unknown as { activeCues: typeof seen }).activeCues = seen;
      video.textTracks.addEventListener("addtrack", (e) => {
        const track = (e as TrackEvent).track as TextTrack;
        track.addEventListener("cuechange", () => {
          for (const c of Array.from(track.activeCues ?? [])) seen.push({ t: video.currentTime, text: (c as VTTCue).text });
        });
      });
    });
    await page.getByRole("button", { name: "Play" }).click();

    // hls.js lists the master's subtitle rendition, and the CC menu offers it.
    const cc = page.getByLabel("CC", { exact: true });
    await cc.waitFor({ state: "visible", timeout: 30_000 });
    expect(JSON.parse((await page.locator("#player").getAttribute("data-subtitle-tracks")) ?? "[]")).toEqual([{ name: "English", lang: "en" }]);
    expect(await cc.locator("option").allTextContents()).toEqual(["Off", "English (en)"]);
    expect(await cc.inputValue()).toBe("-1");
    await cc.selectOption({ label: "English (en)" });
    await expect.poll(() => page.locator("#player").getAttribute("data-subtitle-track")).toBe("0");

    await page.waitForFunction(
      () => (document.getElementById("video") as HTMLVideoElement).ended || Boolean(document.getElementById("player")!.dataset.fatal),
      undefined,
      { timeout: 90_000 },
    );
    await browser.screenshot("captions-playback-end.png");
    const state = await page.evaluate(() => {
      const video = document.getElementById("video") as HTMLVideoElement;
      return {
        fatal: document.getElementById("player")!.dataset.fatal ?? "",
        t: video.currentTime,
        tracks: Array.from(video.textTracks).map((t) => ({
          label: t.label,
          language: t.language,
          mode: t.mode,
          cues: Array.from(t.cues ?? []).map((c) => ({ start: c.startTime, end: c.endTime, text: (c as VTTCue).text })),
        })),
        active: (window as unknown as { activeCues: { t: number; text: string }[] }).activeCues,
      };
    });
    const summary = JSON.stringify({ ...state, errors: browser.errors });
    expect(state.fatal, summary).toBe("");
    expect(state.t, summary).toBeGreaterThan(CONTENT_SECONDS + 2 * AD_SECONDS - 1);

    const variant = await playlists.get("variant")!;
    const subtitles = await playlists.get("subtitles");
    expect(variant.match(/^#EXT-X-CUE-OUT/gm), variant).toHaveLength(2);
    // The subtitle playlist has the variant's timeline: as many segments, discontinuities and cues.
    expect(subtitles, "hls.js loaded the subtitle playlist").toBeDefined();
    for (const tag of [/^#EXTINF/gm, /^#EXT-X-DISCONTINUITY$/gm, /^#EXT-X-CUE-OUT/gm]) {
      expect(subtitles!.match(tag)?.length, `${tag}\n${subtitles}\n${variant}`).toBe(variant.match(tag)?.length);
    }

    const shown = state.tracks.filter((t) => t.mode === "showing");
    expect(shown.map((t) => [t.label, t.language]), summary).toEqual([["English", "en"]]);
    for (const cue of CUES) {
      const at = stitchedTime(variant, cue.start);
      // Before the break: after the pre-roll only; after it: after both ads.
      expect(at - cue.start, variant).toBeCloseTo(cue.start < MID_ROLL_AT ? AD_SECONDS : 2 * AD_SECONDS, 0);
      // A cue over a segment boundary comes in both segments: every copy sits at the same place.
      const copies = shown[0]!.cues.filter((c) => c.text === cue.text);
      expect(copies.length, summary).toBeGreaterThan(0);
      for (const c of copies) {
        expect(Math.abs(c.start - at), `${cue.text}: expected at ${at}\n${summary}`).toBeLessThanOrEqual(0.3);
        expect(Math.abs(c.end - (at + cue.end - cue.start)), `${cue.text}\n${summary}`).toBeLessThanOrEqual(0.3);
      }
      // It became active while the video was at it.
      const active = state.active.filter((a) => a.text === cue.text);
      expect(active.length, `${cue.text} never became active\n${summary}`).toBeGreaterThan(0);
      expect(active[0]!.t, summary).toBeGreaterThanOrEqual(at - 0.3);
      expect(active[0]!.t, summary).toBeLessThanOrEqual(at + cue.end - cue.start + 0.3);
    }
    expect(browser.errors.filter((e) => /hls\.js fatal/.test(e)), summary).toEqual([]);
  });
});
