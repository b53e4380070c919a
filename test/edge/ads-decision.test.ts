// The master playlist with AD_SERVER_URL: decisions against a fake third-party ad server (a Node process
// beside workerd), creatives queued once, the fallback to the site's own ads on every failure, beacons.
import { env } from "cloudflare:workers";
import { describe, expect, inject, it } from "vitest";
import { urlHash } from "../../edge/ads";
import { body, call, onlyFilmAds, seedEpisode, seedFilmAd, variantUris } from "./playback-fixtures";

const AD = inject("adServer");
const sixty = Array(10).fill(6);
const episode = () => seedEpisode({ renditions: [{ name: "720p", bandwidth: 2_800_000, durations: sixty, segments: true }] });
const adSpec = (durations: number[]) => [{ name: "r0", bandwidth: 2_000_000, durations, segments: true }];

/** A unique MediaFile URL at the fake server (creatives are keyed by URL). */
const mediaUrl = () => `${AD}/media/${crypto.randomUUID()}.mp4?bytes=5000`;
const sink = () => `${AD}/t/${crypto.randomUUID()}`;
const tag = (path: string, q: Record<string, string>) => `${AD}${path}?${new URLSearchParams(q)}&cid=[CONTENT_ID]&pos=[BREAK_POSITION]&cb=[CACHEBUSTING]`;

/** Requests the fake server has seen whose path starts with `prefix` (a path, or a URL at the server). */
async function hits(prefix: string): Promise<string[]> {
  const path = prefix.startsWith(AD) ? prefix.slice(AD.length) : prefix;
  return (await fetch(`${AD}/__hits?prefix=${encodeURIComponent(path)}&n=0`)).json();
}

/** The creative of `url` as the transcoder leaves it: a ready ad of origin "vast" (as if conditioned). */
async function readyCreative(url: string, durations = [4, 4, 4, 4]) {
  const ad = await seedFilmAd({ renditions: adSpec(durations) });
  await env.DB.prepare("UPDATE ads SET origin = 'vast' WHERE id = ?").bind(ad.id).run();
  await env.DB.prepare("INSERT INTO creatives (url_hash, url, ad_id, status, created_at, updated_at) VALUES (?, ?, ?, 'queued', 0, 0)").bind(await urlHash(url), url, ad.id).run();
  return ad;
}

/** A media fetch under the same AD_SERVER_URL (a local ad server's beacons may be plain http to loopback). */
const segment = (uri: string) => call(uri, {}, { AD_SERVER_URL: `${AD}/vast/inline` });

async function houseAd() {
  const ad = await seedFilmAd({ renditions: adSpec([5, 5]) });
  await onlyFilmAds([ad.id]);
  return ad;
}

async function master(path: string, adServerUrl: string, extra: Record<string, string> = {}) {
  const started = Date.now();
  const res = await call(path, {}, { AD_SERVER_URL: adServerUrl, ...extra });
  return { res, ms: Date.now() - started, text: await body(res), sources: res.headers.get("x-ad-sources") };
}

describe("AD_SERVER_URL: creatives", { timeout: 20_000 }, () => {
  it("queues an unseen creative once (fetched into R2, an ad transcode); the break falls back meanwhile", async () => {
    const ep = await episode();
    await houseAd();
    const media = mediaUrl();
    const first = await master(ep.path, tag("/vast/inline", { media }));
    expect(first.res.status).toBe(200);
    expect(first.sources).toBe("site,site");
    const row = await env.DB.prepare("SELECT c.status, c.bytes, a.origin, a.status AS ad_status, a.source_key FROM creatives c JOIN ads a ON a.id = c.ad_id WHERE c.url_hash = ?")
      .bind(await urlHash(media))
      .first<{ status: string; bytes: number; origin: string; ad_status: string; source_key: string }>();
    expect(row).toMatchObject({ status: "queued", bytes: 5000, origin: "vast", ad_status: "processing" });
    expect((await env.MEDIA.get(row!.source_key))?.size).toBe(5000);
    // Asked again (both breaks name it): still one creative, one job.
    await master(ep.path, tag("/vast/inline", { media }));
    const jobs = await env.DB.prepare("SELECT count(*) AS n FROM jobs j JOIN creatives c ON c.ad_id = j.ad_id WHERE c.url_hash = ?").bind(await urlHash(media)).first<{ n: number }>();
    expect(jobs?.n).toBe(1);
    // The ad server saw the content macros.
    expect((await hits("/vast/inline")).some((h) => h.includes(`cid=${ep.filmId}`) && h.includes("pos=2"))).toBe(true);
  });

  it("a fetch abandoned long ago (its isolate went away) is claimed again; a recent one is left alone", async () => {
    const ep = await episode();
    const stale = mediaUrl();
    const recent = mediaUrl();
    await env.DB.batch([
      env.DB.prepare("INSERT INTO creatives (url_hash, url, status, created_at, updated_at) VALUES (?, ?, 'fetching', 0, 0)").bind(await urlHash(stale), stale),
      env.DB.prepare("INSERT INTO creatives (url_hash, url, status, created_at, updated_at) VALUES (?, ?, 'fetching', ?, ?)").bind(await urlHash(recent), recent, Date.now(), Date.now()),
    ]);
    await master(ep.path, `${AD}/vast/pod?media=${encodeURIComponent(`${stale},${recent}`)}`, { AD_BREAKS: "pre" });
    const status = async (u: string) => (await env.DB.prepare("SELECT status FROM creatives WHERE url_hash = ?").bind(await urlHash(u)).first<{ status: string }>())?.status;
    expect([await status(stale), await status(recent)]).toEqual(["queued", "fetching"]);
  });

  it("concurrent viewers queue an unseen creative once", async () => {
    const ep = await episode();
    const media = mediaUrl();
    const all = await Promise.all(Array.from({ length: 5 }, () => master(ep.path, tag("/vast/inline", { media }))));
    expect(all.map((m) => m.res.status)).toEqual([200, 200, 200, 200, 200]);
    const jobs = await env.DB.prepare("SELECT count(*) AS n FROM jobs j JOIN creatives c ON c.ad_id = j.ad_id WHERE c.url_hash = ?").bind(await urlHash(media)).first<{ n: number }>();
    expect(jobs?.n).toBe(1);
  });

  for (const [name, media, why] of [
    ["a creative over MAX_UPLOAD_BYTES", `${AD}/media/${crypto.randomUUID()}.mp4?bytes=3000000`, /over MAX_UPLOAD_BYTES/],
    ["a creative the media host does not have", `${AD}/nothing/${crypto.randomUUID()}.mp4`, /answered 404/],
  ] as const) {
    it(`${name}: the creative is marked failed, nothing is stored or queued, playback goes on`, async () => {
      const ep = await episode();
      await houseAd();
      const m = await master(ep.path, tag("/vast/inline", { media }), { MAX_UPLOAD_BYTES: "2000000" });
      expect([m.res.status, m.sources]).toEqual([200, "site,site"]);
      const row = await env.DB.prepare("SELECT status, error, ad_id FROM creatives WHERE url_hash = ?").bind(await urlHash(media)).first<{ status: string; error: string; ad_id: string | null }>();
      expect(row?.status).toBe("failed");
      expect(row?.error).toMatch(why);
      expect(row?.ad_id).toBe(null);
      // Seen: a failed creative is not fetched again on the next request.
      const before = (await hits(`/media/`)).length + (await hits(`/nothing/`)).length;
      await master(ep.path, tag("/vast/inline", { media }), { MAX_UPLOAD_BYTES: "2000000" });
      expect((await hits(`/media/`)).length + (await hits(`/nothing/`)).length).toBe(before);
    });
  }

  it("a conditioned creative is never one of the site's random ads", async () => {
    const media = mediaUrl();
    const c = await readyCreative(media);
    await onlyFilmAds([c.id]);
    const res = await call("/api/v1/affair/ad/FILM");
    expect(res.status).toBe(404);
  });
});

describe("AD_SERVER_URL: decisions", { timeout: 20_000 }, () => {
  it("plays a ready creative at both breaks, marks the sources, and fires its beacons once, in order", async () => {
    const ep = await episode();
    await houseAd();
    const media = mediaUrl();
    const c = await readyCreative(media);
    const b = sink();
    const m = await master(ep.path, tag("/vast/inline", { media, beacons: b }));
    expect(m.sources).toBe("ad-server,ad-server");
    const variant = await body(await call(variantUris(m.text)[0]!));
    const adSegments = variant.split("\n").filter((l) => l.includes(`ads/${c.id}/`));
    expect(adSegments).toHaveLength(8);
    // The first break's four segments: impression+start, firstQuartile, midpoint, thirdQuartile+complete.
    const firstBreak = adSegments.slice(0, 4);
    expect(firstBreak.every((u) => u.includes("bcn="))).toBe(true);
    for (const u of firstBreak) expect((await segment(u)).status).toBe(200);
    const fired = (await hits(b)).map((h) => h.slice(b.length - AD.length).replace(/\?.*/, ""));
    expect(fired).toEqual(["/imp", "/start", "/firstQuartile", "/midpoint", "/thirdQuartile", "/complete"]);
    // A replay (and another rendition's or a retried fetch) fires nothing more.
    for (const u of firstBreak) expect((await segment(u)).status).toBe(200);
    expect(await hits(b)).toHaveLength(6);
    // The second break is another entry of the plan: its own beacons.
    await segment(adSegments[4]!);
    expect((await hits(b)).length).toBe(8);
    const rows = await env.DB.prepare("SELECT event, count(*) AS n FROM ad_beacons WHERE ad_id = ? GROUP BY event ORDER BY event").bind(c.id).all<{ event: string; n: number }>();
    expect(rows.results).toEqual([
      { event: "complete", n: 1 },
      { event: "firstQuartile", n: 1 },
      { event: "impression", n: 2 },
      { event: "midpoint", n: 1 },
      { event: "start", n: 2 },
      { event: "thirdQuartile", n: 1 },
    ]);
  });

  it("a forged beacon fires nothing", async () => {
    const before = await env.DB.prepare("SELECT count(*) AS n FROM ad_beacons").first<{ n: number }>();
    const ad = await seedFilmAd({ renditions: adSpec([4]) });
    const res = await call(`/api/v1/resource/media/${ad.prefix}r0/seg_00000.ts?bcn=eyJ4IjoxfQ.AAAA`);
    expect(res.status).toBe(200);
    expect(await env.DB.prepare("SELECT count(*) AS n FROM ad_beacons").first<{ n: number }>()).toEqual(before);
  });

  it("follows wrappers, merging their impressions and tracking into the InLine ad's", async () => {
    const ep = await episode();
    await houseAd();
    const media = mediaUrl();
    await readyCreative(media, [4]);
    const b = sink();
    const m = await master(ep.path, tag("/vast/wrapper", { depth: "3", media, beacons: b }), { AD_BREAKS: "pre" });
    expect(m.sources).toBe("ad-server");
    const variant = await body(await call(variantUris(m.text)[0]!));
    const seg = variant.split("\n").find((l) => l.includes("bcn="))!;
    await segment(seg);
    const fired = (await hits(b)).map((h) => h.slice(b.length - AD.length).replace(/\?.*/, ""));
    expect(fired.filter((f) => f.endsWith("/imp")).sort()).toEqual(["/imp", "/w1/imp", "/w2/imp", "/w3/imp"]);
    expect(fired.filter((f) => f.endsWith("/start")).sort()).toEqual(["/start", "/w1/start", "/w2/start", "/w3/start"]);
    expect(fired.filter((f) => f.endsWith("/complete"))).toHaveLength(4);
  });

  it("follows a redirect that stays within the rule", async () => {
    const ep = await episode();
    await houseAd();
    const media = mediaUrl();
    await readyCreative(media, [4]);
    const m = await master(ep.path, `${AD}/vast/redirect?media=${encodeURIComponent(media)}`, { AD_BREAKS: "pre" });
    expect(m.sources).toBe("ad-server");
  });

  it("plays a pod in sequence order in one break", async () => {
    const ep = await episode();
    await houseAd();
    const m1 = mediaUrl();
    const m2 = mediaUrl();
    const a1 = await readyCreative(m1, [4]);
    const a2 = await readyCreative(m2, [3]);
    const m = await master(ep.path, `${AD}/vast/pod?media=${encodeURIComponent(`${m1},${m2}`)}`, { AD_BREAKS: "0.5" });
    expect([m.res.headers.get("x-ad-breaks"), m.sources]).toEqual(["2", "ad-server"]);
    const variant = await body(await call(variantUris(m.text)[0]!));
    const uris = variant.split("\n").filter((l) => l.startsWith("https://"));
    expect(uris.slice(5, 8).map((u) => (u.includes(a1.id) ? "a1" : u.includes(a2.id) ? "a2" : "content"))).toEqual(["a1", "a2", "content"]);
    expect(variant.match(/CUE-OUT:DURATION=7\.000/g)).toHaveLength(1);
  });

  it("VMAP: its breaks replace AD_BREAKS; a break the server leaves empty falls back", async () => {
    const ep = await episode();
    await houseAd();
    const media = mediaUrl();
    await readyCreative(media, [4]);
    const m = await master(ep.path, `${AD}/vmap?media=${encodeURIComponent(media)}`);
    // pre (embedded VAST), 50 % (AdTagURI), post (empty VAST → the site's ad)
    expect(m.sources).toBe("ad-server,ad-server,site");
    const variant = await body(await call(variantUris(m.text)[0]!));
    expect(variant.match(/CUE-OUT/g)).toHaveLength(3);
  });
});

describe("AD_SERVER_URL: failures fall back to the site's ads, promptly, with IAB error codes", { timeout: 20_000 }, () => {
  const cases: Array<[string, string, string | null]> = [
    ["HTTP 500", "/vast/status/500", null],
    ["invalid XML", "/vast/invalid", null],
    ["not VAST", "/vast/html", null],
    ["an empty VAST (no bid: no error ping)", "/vast/empty", null],
    ["a wrapper loop", "/vast/loop", "302"],
    ["more than 5 wrappers", "/vast/wrapper?depth=6", "302"],
    ["a wrapper to an empty VAST", "/vast/wrapper-empty", "303"],
    ["no MediaFile we can fetch", "/vast/no-media", "403"],
    ["a redirect off https", "/vast/redirect?to=private", null],
  ];
  for (const [name, path, code] of cases) {
    it(name, async () => {
      const ep = await episode();
      const house = await houseAd();
      const b = sink();
      const media = mediaUrl();
      const url = `${AD}${path}${path.includes("?") ? "&" : "?"}beacons=${encodeURIComponent(b)}&media=${encodeURIComponent(media)}`;
      const m = await master(ep.path, url);
      expect(m.res.status).toBe(200);
      expect(m.sources).toBe("site,site");
      expect(m.text).toContain("plan=");
      const variant = await call(variantUris(m.text)[0]!);
      expect(variant.status).toBe(200);
      expect(await body(variant)).toContain(`ads/${house.id}/`);
      const errors = (await hits(b)).filter((h) => h.includes("error") || h.includes("nobid"));
      if (code) expect(errors.length > 0 && errors.every((h) => h.endsWith(`code=${code}`))).toBe(true);
      else expect(errors).toEqual([]);
      // Nothing was queued from a failed decision.
      expect(await env.DB.prepare("SELECT 1 FROM creatives WHERE url_hash = ?").bind(await urlHash(media)).first()).toBe(null);
    });
  }

  it("a timeout: the master answers within the decision bound, without the server's ads", async () => {
    const ep = await episode();
    await houseAd();
    const m = await master(ep.path, `${AD}/vast/slow`, { AD_DECISION_TIMEOUT_MS: "300" });
    expect([m.res.status, m.sources]).toEqual([200, "site,site"]);
    expect(m.ms).toBeLessThan(3000);
    const counted = await env.DB.prepare("SELECT count FROM ad_server_outcomes WHERE outcome = 'timeout'").first<{ count: number }>();
    expect(counted?.count).toBeGreaterThanOrEqual(2);
  });

  it("an invalid AD_SERVER_URL is ignored (logged): the site's ads play", async () => {
    const ep = await episode();
    await houseAd();
    const m = await master(ep.path, "ftp://ads.example/vast");
    expect([m.res.status, m.sources]).toEqual([200, "site,site"]);
  });
});
