// The whole stack in a real browser: the admin page uploads an episode and ads (signed multipart
// upload → queue → bridge → transcoder → R2), then the catalog page plays the episode through the
// stitched ad break with hls.js. Headless Debian Chromium, driven by playwright-core.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeAdClip, makeClip, makeImage } from "../../scripts/harness/media";
import { type Browser, launchBrowser } from "../support/browser";
import { jobIsOver } from "../../schema/jobs";
import { type RunningTranscoder, type TestStack, startStack, startTestTranscoder } from "../support/stack";

// 8 s of content in 2 s segments with one break at 4 s, and a 2 s ad: 10 s of playback.
const CONTENT_SECONDS = 8;
const BREAK_AT = 4;
const AD_SECONDS = 2;

let stack: TestStack;
let browser: Browser;
let work: string;
let filmId = "";
let fmp4Transcoder: RunningTranscoder | undefined;
const title = `Browser test ${Date.now()}`;

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), "browser-e2e-"));
  stack = await startStack({ vars: { AD_BREAKS: `${BREAK_AT}s` }, transcoderEnv: { SEGMENT_SECONDS: "2" } });
  browser = await launchBrowser();
}, 240_000);

afterAll(async () => {
  await fmp4Transcoder?.stop();
  await browser?.close();
  await stack?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

/**
 * Plays the picked episode to its end with hls.js and checks the one break: the Ad badge on at BREAK_AT,
 * off after AD_SECONDS, the content resumed, no fatal error.
 */
async function playThroughTheBreak(shots: string) {
  const { page } = browser;
  // Every change of the badge is recorded in the page with the playback position at that moment,
  // so the check does not depend on how often the test polls.
  await page.evaluate(() => {
    const video = document.getElementById("video") as HTMLVideoElement;
    const badge = document.getElementById("ad-badge")!;
    const changes: { t: number; shown: boolean }[] = [];
    (window as unknown as { badgeChanges: typeof changes }).badgeChanges = changes;
    new MutationObserver(() => changes.push({ t: video.currentTime, shown: !badge.hidden })).observe(badge, {
      attributes: true,
      attributeFilter: ["hidden"],
    });
  });
  await page.getByRole("button", { name: "Play" }).click();

  type Sample = { t: number; ad: boolean; ended: boolean; fatal: string; breaks: string; source: string };
  const samples: Sample[] = [];
  let shotDuringAd = false;
  const deadline = Date.now() + 90_000;
  for (;;) {
    const s = await page.evaluate((): Sample => {
      const video = document.getElementById("video") as HTMLVideoElement;
      const player = document.getElementById("player")!;
      return {
        t: video.currentTime,
        ad: !document.getElementById("ad-badge")!.hidden,
        ended: video.ended,
        fatal: player.dataset.fatal ?? "",
        breaks: player.dataset.adBreaks ?? "",
        source: player.dataset.adSource ?? "",
      };
    });
    samples.push(s);
    if (s.ad && !shotDuringAd) {
      shotDuringAd = true;
      await browser.screenshot(`${shots}-ad.png`);
    }
    if (s.ended || s.fatal || Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  await browser.screenshot(`${shots}-end.png`);
  const changes = await page.evaluate(() => (window as unknown as { badgeChanges: { t: number; shown: boolean }[] }).badgeChanges);

  const last = samples[samples.length - 1]!;
  const summary = JSON.stringify({ last, changes, errors: browser.errors });
  expect(last.fatal, summary).toBe("");
  expect(last.source, summary).toBe("cue");
  expect(last.breaks, summary).toBe("1");
  // Played past the break (content + ad), to the end.
  expect(last.ended, summary).toBe(true);
  expect(last.t, summary).toBeGreaterThan(CONTENT_SECONDS + AD_SECONDS - 1);
  // The badge appeared once, at the break, and went away when the ad was over.
  expect(changes.map((c) => c.shown), summary).toEqual([true, false]);
  expect(changes[0]!.t, summary).toBeGreaterThanOrEqual(BREAK_AT - 0.5);
  expect(changes[0]!.t, summary).toBeLessThan(BREAK_AT + 0.75);
  expect(changes[1]!.t, summary).toBeGreaterThanOrEqual(BREAK_AT + AD_SECONDS - 0.5);
  expect(changes[1]!.t, summary).toBeLessThan(BREAK_AT + AD_SECONDS + 0.75);
  expect(shotDuringAd, summary).toBe(true);
  expect(browser.errors.filter((e) => /hls\.js fatal/.test(e)), summary).toEqual([]);
}

describe("the website in headless Chromium", () => {
  it("admin page: token, new film, episode and FILM ad uploads with upload and transcode progress", async () => {
    const content = makeClip(path.join(work, "content.mp4"), { pattern: "testsrc2", tone: 440, seconds: CONTENT_SECONDS, width: 320, height: 180 });
    const ad = makeAdClip(path.join(work, "ad.mp4"), AD_SECONDS);
    const poster = makeImage(path.join(work, "poster.jpg"), "smptebars", 200, 300, "Poster");
    const banner = makeImage(path.join(work, "banner.png"), "gradients=c0=0x1a1a1a:c1=0x0a4fb3", 728, 90, "Banner ad");
    const { page } = browser;

    await page.goto(`${stack.url}/admin`);
    // A wrong token is refused and the tools stay hidden.
    await page.getByLabel("Token").fill("not-the-token");
    await page.getByRole("button", { name: "Use this token" }).click();
    await expect.poll(() => page.locator("#token-status").textContent()).toContain("refused");
    expect(await page.locator("#tools").isHidden()).toBe(true);

    await page.getByLabel("Token").fill(stack.adminToken);
    await page.getByRole("button", { name: "Use this token" }).click();
    await page.locator("#tools").waitFor({ state: "visible" });
    expect(await page.evaluate(() => sessionStorage.getItem("edge-stream.admin-token"))).toBe(stack.adminToken);

    const film = page.locator("#film-form");
    await film.getByLabel("Title").fill(title);
    await film.getByLabel("Type").selectOption("MOVIE");
    await film.getByLabel("Category").selectOption("MOVIE_SCI_FI");
    await film.getByLabel("Actors (comma separated)").fill("Ada Lovelace, Alan Turing");
    await film.getByRole("button", { name: "Create film" }).click();
    await expect.poll(() => page.locator("#film-status").textContent()).toMatch(/Created film [0-9a-f-]{36}/);
    filmId = (await page.locator("#film-status").getAttribute("data-film-id")) ?? "";
    expect(filmId).toMatch(/^[0-9a-f-]{36}$/);

    const posterForm = page.locator("#poster-form");
    expect(await posterForm.getByLabel("Film").inputValue()).toBe(filmId);
    await posterForm.getByLabel("Image (PNG, JPEG, GIF, WebP)").setInputFiles(poster);
    await posterForm.getByRole("button", { name: "Upload poster" }).click();
    await expect.poll(() => posterForm.locator(".status").textContent()).toMatch(/Poster set|Failed/);
    expect(await posterForm.locator(".status").textContent()).toBe("Poster set.");

    const episode = page.locator("#episode-form");
    expect(await episode.getByLabel("Film").inputValue()).toBe(filmId);
    await episode.getByLabel("New state").fill("updated to episode 1");
    await episode.getByLabel("Video file").setInputFiles(content);
    await episode.getByRole("button", { name: "Upload and transcode" }).click();
    await expect.poll(() => episode.locator(".status").textContent(), { timeout: 120_000, interval: 500 }).toMatch(/Ready|Failed|failed/);
    expect(await episode.locator(".status").textContent()).toMatch(/^Ready \(job [0-9a-f-]{36}\)\.$/);
    expect(await episode.locator("progress.upload").evaluate((p) => (p as HTMLProgressElement).value)).toBe(1);
    expect(await episode.locator("progress.job").evaluate((p) => (p as HTMLProgressElement).value)).toBe(1);

    const ads = page.locator("#ad-form");
    await ads.getByLabel("Kind").selectOption("FILM");
    await ads.getByLabel("File (video for FILM, image otherwise)").setInputFiles(ad);
    await ads.getByRole("button", { name: "Upload ad" }).click();
    await expect.poll(() => ads.locator(".status").textContent(), { timeout: 120_000, interval: 500 }).toMatch(/Ready|Failed|failed/);
    expect(await ads.locator(".status").textContent()).toMatch(/^Ready \(job [0-9a-f-]{36}\)\.$/);

    await ads.getByLabel("Kind").selectOption("WEB_BAR");
    await ads.getByLabel("File (video for FILM, image otherwise)").setInputFiles(banner);
    await ads.getByRole("button", { name: "Upload ad" }).click();
    await expect.poll(() => ads.locator(".status").textContent(), { timeout: 30_000 }).toMatch(/is live|Failed/);
    expect(await ads.locator(".status").textContent()).toMatch(/^Ad [0-9a-f-]{36} is live\.$/);

    // The jobs table lists both transcodes as complete.
    await page.getByRole("button", { name: "Refresh" }).click();
    await expect.poll(async () => (await page.locator("#jobs tr").allTextContents()).filter((t) => t.includes("complete")).length).toBeGreaterThanOrEqual(2);
    await browser.screenshot("browser-admin.png");
  });

  it("catalog page: finds the film, plays the episode through the ad break with the Ad badge, shows the image ad", async () => {
    expect(filmId, "the admin test created the film").not.toBe("");
    const { page } = browser;
    await page.goto(`${stack.url}/`);
    await page.getByRole("link", { name: new RegExp(title) }).first().waitFor();
    // The banner ad (the only WEB_BAR ad) is shown.
    await page.locator("#ad-web-bar img").waitFor({ state: "visible" });
    expect(await page.locator("#ad-web-bar img").evaluate((img) => (img as HTMLImageElement).naturalWidth)).toBe(728);

    // Its card shows the uploaded poster.
    const card = page.getByRole("link", { name: new RegExp(title) }).first();
    // The card's image loads lazily: wait for it rather than read it the moment the card appears.
    await expect.poll(() => card.locator("img").evaluate((img) => (img as HTMLImageElement).naturalWidth)).toBe(200);

    // Search finds it too; then open it.
    await page.getByLabel("Search", { exact: true }).fill("Browser test");
    await page.getByRole("button", { name: "Search" }).click();
    await page.getByRole("link", { name: new RegExp(title) }).first().click();
    await page.locator("#episode-picker").waitFor({ state: "visible" });
    expect(await page.locator("#film-title").textContent()).toBe(title);
    expect(await page.getByLabel("Route").inputValue()).toBe("line1");
    expect(await page.getByLabel("Episode").inputValue()).toBe("1");

    await playThroughTheBreak("browser-playback");
  });
  it("plays an fMP4 (CMAF) episode through the break (the ad's fMP4 ladder spliced in, EXT-X-MAP and all); seek previews show", async () => {
    expect(filmId, "the admin test created the film").not.toBe("");
    // The same stack with a transcoder that writes fMP4 (the FILM ad, made before, has both containers).
    await stack.transcoder.stop();
    fmp4Transcoder = await startTestTranscoder({
      edgeUrl: stack.url,
      redisUrl: stack.redis.url,
      intakePort: Number(new URL(stack.intakeUrl).port),
      env: { SEGMENT_SECONDS: "2", SEGMENT_FORMAT: "fmp4" },
    });
    const content = makeClip(path.join(work, "content-cmaf.mp4"), { pattern: "testsrc2", tone: 660, seconds: CONTENT_SECONDS, width: 320, height: 180 });
    const jobId = await stack.admin.uploadEpisode(filmId, "line1", "2", content);
    expect((await stack.admin.followJob(jobId, { until: jobIsOver, timeoutMs: 120_000, pollMs: 250 })).status).toBe("complete");

    const { page } = browser;
    await page.goto(`${stack.url}/`);
    await page.getByRole("link", { name: new RegExp(title) }).first().click();
    await page.locator("#episode-picker").waitFor({ state: "visible" });
    await page.getByLabel("Episode").selectOption("2");
    // What hls.js is given: fMP4 variants with the ad's fMP4 rendition and its init segment.
    const variants = [] as string[];
    page.on("response", (r) => {
      if (/\/v\/[^/]+\.m3u8/.test(r.url())) variants.push(r.url());
    });
    await playThroughTheBreak("browser-playback-fmp4");

    // Seek previews: the master names the storyboard (8 s: thumbnails at 0 and 5 s); over the seek bar the
    // content's thumbnail shows, and none over the ad (4 s to 6 s of the 10 s timeline).
    await expect.poll(() => page.locator("#player").getAttribute("data-storyboard")).toBe("2");
    const bar = page.locator("#seek-bar");
    const box = (await bar.boundingBox())!;
    const preview = page.locator("#seek-preview");
    await bar.hover({ position: { x: box.width * 0.1, y: box.height / 2 } });
    await preview.waitFor({ state: "visible" });
    const sprite = await preview.locator(".thumb").evaluate((el) => /url\("(.*)"\)/.exec(getComputedStyle(el).backgroundImage)?.[1] ?? "");
    expect(sprite).toMatch(/\/storyboard\/sprite_000\.jpg/);
    expect(await page.evaluate(async (u) => (await fetch(u)).headers.get("content-type"), sprite)).toBe("image/jpeg");
    await browser.screenshot("browser-seek-preview.png");
    await bar.hover({ position: { x: box.width * 0.5, y: box.height / 2 } });
    await preview.waitFor({ state: "hidden" });
    expect(variants.length).toBeGreaterThan(0);
    const text = await (await fetch(variants[0]!)).text();
    expect(text).toMatch(/#EXT-X-MAP:URI="[^"]*\/ads\/[^"]*\/fmp4\/[^"]*init_[^"]*\.mp4/);
    expect(text).toMatch(/#EXT-X-MAP:URI="[^"]*\/films\/[^"]*init_[^"]*\.mp4/);
    expect(text).toMatch(/#EXT-X-CUE-OUT/);
  });
});
