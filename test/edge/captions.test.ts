// Captions over HTTP: the admin routes (PUT/GET/DELETE, every refusal, nothing stored on a 4xx), the master's
// SUBTITLES renditions, the subtitle playlist against the stitched video variant of the same plan, caption
// segments (cues, X-TIMESTAMP-MAP), media signing, and deletes.
import { createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterAll, describe, expect, it } from "vitest";
import { parseMasterPlaylist } from "../../edge/hls";
import worker from "../../edge/index";
import { captionsPrefix } from "../../schema/keys";
import { VIEWER_URL_TTL_SECONDS } from "../../schema/signing";
import { count, lines, specProblems } from "./hls-fixtures";
import { body, call, onlyFilmAds, planOf, seedEpisode, seedFilmAd } from "./playback-fixtures";
import { consumeQueueInTest, files, form, postForm } from "./upload-support";

const queue = consumeQueueInTest();
afterAll(() => queue.restore());

const AUTH = { authorization: "Bearer test-admin-token" };
const twoRenditions = () => [
  { name: "720p", bandwidth: 2_800_000, durations: Array(10).fill(6) },
  { name: "360p", bandwidth: 800_000, durations: Array(10).fill(6) },
];
const capsPath = (ep: { filmId: string; route: string; episode: string }, lang?: string) =>
  `/api/v1/admin/films/${ep.filmId}/episodes/${ep.route}/${ep.episode}/captions${lang === undefined ? "" : `/${lang}`}`;
const put = (ep: Parameters<typeof capsPath>[0], lang: string, file: string | Uint8Array, query = "", headers: Record<string, string> = {}, vars = {}) =>
  call(`${capsPath(ep, lang)}${query}`, { method: "PUT", headers: { ...AUTH, "content-type": "text/plain", ...headers }, body: file }, vars);

const SRT = `1
00:00:01,000 --> 00:00:02,000
One

2
00:00:05,500 --> 00:00:07,000
Across a boundary

3
00:00:40,000 --> 00:00:41,000
<i>Forty</i>
`;
const VTT = "WEBVTT\n\n00:00:03.000 --> 00:00:04.000\nReplaced\n";

async function objectsUnder(prefix: string): Promise<string[]> {
  return (await env.MEDIA.list({ prefix })).objects.map((o) => o.key);
}
async function storedColumn(ep: { filmId: string; route: string; episode: string }): Promise<string | null> {
  const row = await env.DB.prepare("SELECT captions FROM episodes WHERE film_id = ? AND route = ? AND episode = ?").bind(ep.filmId, ep.route, ep.episode).first<{ captions: string }>();
  return row?.captions ?? null;
}
const reason = async (res: Response) => (await res.json<{ reason: string }>()).reason;

/** Two MPEG-TS packets: a video PES whose PTS is `pts`, and padding (what the edge reads the timeline base from). */
function tsWithPts(pts: number): Uint8Array {
  const out = new Uint8Array(188 * 2).fill(0xff);
  const p = [0x47, 0x41, 0x00, 0x10, 0, 0, 1, 0xe0, 0, 0, 0x80, 0x80, 5];
  p.push(0x21 | (Math.floor(pts / 2 ** 30) & 7) << 1, (pts >> 22) & 0xff, (((pts >> 15) & 0x7f) << 1) | 1, (pts >> 7) & 0xff, ((pts & 0x7f) << 1) | 1);
  out.set(p, 0);
  out.set([0x47, 0x1f, 0xff, 0x10], 188);
  return out;
}

/** An ISO BMFF box. */
function box(type: string, ...parts: Array<Uint8Array | number[]>): Uint8Array {
  const body = parts.map((p) => (p instanceof Uint8Array ? p : Uint8Array.from(p)));
  const size = 8 + body.reduce((n, b) => n + b.length, 0);
  const out = new Uint8Array(size);
  new DataView(out.buffer).setUint32(0, size);
  out.set(new TextEncoder().encode(type), 4);
  let at = 8;
  for (const b of body) {
    out.set(b, at);
    at += b.length;
  }
  return out;
}
const u32 = (n: number) => [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
/** An fMP4 init section with two tracks (their ids and mdhd timescales) and a media segment with their tfdt. */
function fmp4(tracks: Array<{ id: number; timescale: number; decode: number }>) {
  const init = box("moov", ...tracks.map((t) => box("trak", box("tkhd", u32(0), u32(0), u32(0), u32(t.id), new Array(68).fill(0)), box("mdia", box("mdhd", u32(0), u32(0), u32(0), u32(t.timescale), u32(0), [0, 0, 0, 0])))));
  const segment = box("moof", box("mfhd", u32(0), u32(1)), ...tracks.map((t) => box("traf", box("tfhd", u32(0x020000), u32(t.id)), box("tfdt", [1, 0, 0, 0], u32(Math.floor(t.decode / 2 ** 32)), u32(t.decode >>> 0)))));
  const brand = new TextEncoder().encode("iso6");
  return { init: Uint8Array.from([...box("ftyp", brand, u32(0)), ...init]), segment: Uint8Array.from([...box("styp", brand, u32(0)), ...segment, ...box("mdat", [1, 2, 3])]) };
}

async function runCron(at: number) {
  await worker.scheduled(createScheduledController({ scheduledTime: new Date(at), cron: "*/10 * * * *" }), env);
}

describe("admin captions routes", () => {
  it("PUT answers 201 when new and 200 when replaced; GET lists; the stored WebVTT is normalised; DELETE 204 then 404", async () => {
    const ep = await seedEpisode({ renditions: twoRenditions() });
    const created = await put(ep, "en", SRT);
    expect(created.status).toBe(201);
    const first = await created.json<Record<string, unknown>>();
    expect(first).toMatchObject({ lang: "en", label: "English", cues: 3, format: "srt" });
    expect(new Date(first.updatedAt as string).getTime()).toBeGreaterThan(Date.now() - 60_000);
    const [key] = await objectsUnder(captionsPrefix(ep.filmId, ep.route, ep.episode));
    expect(key).toMatch(new RegExp(`^${captionsPrefix(ep.filmId, ep.route, ep.episode)}en/[0-9a-f-]{36}\\.vtt$`));
    const stored = await (await env.MEDIA.get(key!))!.text();
    expect(stored).toBe("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nOne\n\n00:00:05.500 --> 00:00:07.000\nAcross a boundary\n\n00:00:40.000 --> 00:00:41.000\n<i>Forty</i>\n");
    expect(first.bytes).toBe(new TextEncoder().encode(stored).length);

    // Another language, a canonicalised tag and a label of its own.
    const pt = await put(ep, "pt-br", VTT, `?label=${encodeURIComponent("Português do Brasil")}`);
    expect(pt.status).toBe(201);
    expect(await pt.json()).toMatchObject({ lang: "pt-BR", label: "Português do Brasil", cues: 1, format: "vtt" });

    const replaced = await put(ep, "en", VTT);
    expect(replaced.status).toBe(200);
    expect(await replaced.json()).toMatchObject({ lang: "en", cues: 1, format: "vtt" });
    // The replaced version stays while subtitle playlists handed out before it may still name it…
    const keys = await objectsUnder(captionsPrefix(ep.filmId, ep.route, ep.episode));
    expect(keys).toHaveLength(3);
    expect(keys).toContain(key);
    // …and the cron deletes it once they have all expired, not before.
    await runCron(Date.now() + VIEWER_URL_TTL_SECONDS * 1000 - 60_000);
    expect(await objectsUnder(captionsPrefix(ep.filmId, ep.route, ep.episode))).toContain(key);
    await runCron(Date.now() + VIEWER_URL_TTL_SECONDS * 1000 + 60_000);
    const left = await objectsUnder(captionsPrefix(ep.filmId, ep.route, ep.episode));
    expect(left).toHaveLength(2);
    expect(left).not.toContain(key);

    const list = await call(capsPath(ep), { headers: AUTH });
    expect(list.status).toBe(200);
    const { captions } = await list.json<{ captions: Array<Record<string, unknown>> }>();
    expect(captions.map((c) => [c.lang, c.label, c.cues])).toEqual([
      ["en", "English", 1],
      ["pt-BR", "Português do Brasil", 1],
    ]);
    expect(Object.keys(captions[0]!).sort()).toEqual(["bytes", "cues", "label", "lang", "updatedAt"]);

    const del = await call(capsPath(ep, "PT-br"), { method: "DELETE", headers: AUTH });
    expect(del.status).toBe(204);
    expect(await reason(await call(capsPath(ep, "pt-BR"), { method: "DELETE", headers: AUTH }))).toMatch(/has no captions in pt-BR/);
    expect(await objectsUnder(`${captionsPrefix(ep.filmId, ep.route, ep.episode)}pt-BR/`)).toEqual([]);
    const after = await (await call(capsPath(ep), { headers: AUTH })).json<{ captions: Array<{ lang: string }> }>();
    expect(after.captions.map((c) => c.lang)).toEqual(["en"]);
  });

  it("keeps an episode's captions across a new upload of its video", async () => {
    const ep = await seedEpisode({ renditions: twoRenditions() });
    expect((await put(ep, "en", SRT)).status).toBe(201);
    const before = await storedColumn(ep);
    const up = await postForm(`/api/v1/upload/media/resource/${ep.route}/${ep.filmId}/${ep.episode}`, form({}, { bytes: files.mp4() }));
    expect(up.status, await up.clone().text()).toBe(200);
    await queue.messageFor((await up.json<{ jobId: string }>()).jobId);
    expect(await storedColumn(ep)).toBe(before);
    expect(await objectsUnder(captionsPrefix(ep.filmId, ep.route, ep.episode))).toHaveLength(1);
  });

  it("answers 404 for an unknown film or episode and takes captions for an episode still processing", async () => {
    const ep = await seedEpisode({ renditions: twoRenditions(), status: "processing" });
    expect((await put(ep, "en", SRT)).status).toBe(201);
    const unknownFilm = { ...ep, filmId: crypto.randomUUID() };
    const r1 = await put(unknownFilm, "en", SRT);
    expect([r1.status, await reason(r1)]).toEqual([404, `film ${unknownFilm.filmId} not found`]);
    const unknownEpisode = { ...ep, episode: "99" };
    const r2 = await put(unknownEpisode, "en", SRT);
    expect([r2.status, await reason(r2)]).toEqual([404, `episode line1/99 of film ${ep.filmId} not found`]);
    expect((await call(capsPath(unknownEpisode), { headers: AUTH })).status).toBe(404);
    expect((await call(capsPath(unknownFilm, "en"), { method: "DELETE", headers: AUTH })).status).toBe(404);
    expect((await call(capsPath(ep), { headers: {} })).status).toBe(401);
  });

  it("refuses bad tags, labels and files with a named reason, storing nothing", async () => {
    const ep = await seedEpisode({ renditions: twoRenditions() });
    const cases: Array<[Response | Promise<Response>, number, RegExp]> = [
      [put(ep, "en_US", SRT), 400, /^param\.lang: "en_US" is not a BCP 47 language tag/],
      [put(ep, "x".repeat(36), SRT), 400, /^param\.lang: .*longer than 35/],
      [put(ep, "en", SRT, `?label=${encodeURIComponent('say "hi"')}`), 400, /^query\.label: /],
      [put(ep, "en", SRT, `?label=${"l".repeat(101)}`), 400, /^query\.label: /],
      [put(ep, "en", ""), 400, /^captions: the file is empty$/],
      [put(ep, "en", "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\na\n\n00:01,5 --> 00:02\nb\n"), 400, /^captions: line 6: cue timing "00:01,5 --> 00:02" is not HH:MM:SS\.mmm --> HH:MM:SS\.mmm$/],
      [put(ep, "en", "1\n00:00:02,000 --> 00:00:01,000\nx\n"), 400, /^captions: line 2: cue ends .* before it starts/],
      [put(ep, "en", "1\n24:00:01,000 --> 24:00:02,000\nx\n"), 400, /^captions: line 2: cue time 24:00:01.000 is past 24 h$/],
      [put(ep, "en", "WEBVTT\n\nNOTE only a note\n"), 400, /^captions: no cues$/],
      [put(ep, "en", new Uint8Array([0x31, 0x0a, 0xff, 0xfe, 0x00])), 400, /^captions: line 2: not UTF-8/],
      [put(ep, "en", "1\n00:00:01,000 --> 00:00:02,000\na\u0000b\n"), 400, /^captions: line 3: a NUL byte/],
      [put(ep, "en", "1\n00:00:01,000 --> 00:00:02,000\n\u0001\u0002\n"), 400, /^captions: line 3: binary data/],
      [put(ep, "en", "x".repeat(1024 * 1024 + 1)), 413, /^captions: the file is larger than 1048576 bytes$/],
      [put(ep, "en", "x", "", { "content-length": String(2 * 1024 * 1024) }), 413, /larger than/],
    ];
    for (const [pending, status, pattern] of cases) {
      const res = await pending;
      const why = await reason(res);
      expect([res.status, why], why).toEqual([status, expect.stringMatching(pattern)]);
    }
    expect(await objectsUnder(captionsPrefix(ep.filmId, ep.route, ep.episode))).toEqual([]);
    expect(await storedColumn(ep)).toBe("[]");
  });
});

describe("captions in playback", () => {
  /** An episode with captions, a real MPEG-TS timestamp in rendition 0's first segment, and one ad. */
  async function scene() {
    const ep = await seedEpisode({ renditions: twoRenditions() });
    await env.MEDIA.put(`${ep.prefix}720p/seg_00000.ts`, tsWithPts(126000));
    const ad = await seedFilmAd({ renditions: [{ name: "ad", bandwidth: 1_000_000, durations: [5, 5, 2.5] }] });
    await onlyFilmAds([ad.id]);
    expect((await put(ep, "en", SRT)).status).toBe(201);
    return { ep, ad };
  }

  it("the master lists a SUBTITLES rendition per language and every variant names the group; a replaced caption changes it at once", async () => {
    const { ep } = await scene();
    const cached = { CATALOG_FRESH_SECONDS: "30", CATALOG_STALE_SECONDS: "30", CATALOG_VERSION_CHECK_SECONDS: "60" };
    const text = await body(await call(ep.path, {}, cached));
    const master = parseMasterPlaylist(text);
    expect(master.media).toHaveLength(1);
    const m = master.media![0]!;
    expect(m).toMatchObject({ type: "SUBTITLES", groupId: "subs", name: "English", language: "en", default: false, autoselect: true });
    const variantPlan = new URL(master.variants[0]!.uri).searchParams.get("plan");
    expect(new URL(m.uri).pathname).toBe(`${ep.path}/s/en.m3u8`);
    expect(new URL(m.uri).searchParams.get("plan")).toBe(variantPlan);
    expect(master.variants.map((v) => v.subtitles)).toEqual(["subs", "subs"]);
    expect(text.split("\n").find((l) => l.startsWith("#EXT-X-MEDIA:"))).toBe(
      `#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",NAME="English",LANGUAGE="en",DEFAULT=NO,AUTOSELECT=YES,URI="${m.uri}"`,
    );

    // Cached now (the answer cache is on): a write bumps the catalog version, so the next master has the change.
    expect((await call(ep.path, {}, cached)).headers.get("x-d1-queries")).toBe("0");
    expect((await call(`${capsPath(ep, "fr")}?label=Fran%C3%A7ais`, { method: "PUT", headers: AUTH, body: VTT }, cached)).status).toBe(201);
    const after = parseMasterPlaylist(await body(await call(ep.path, {}, cached)));
    expect(after.media!.map((x) => [x.language, x.name])).toEqual([
      ["en", "English"],
      ["fr", "Français"],
    ]);
    // NAME is unique in the group: a second "English" is told apart by its tag.
    expect((await call(`${capsPath(ep, "en-GB")}?label=English`, { method: "PUT", headers: AUTH, body: VTT }, cached)).status).toBe(201);
    expect(parseMasterPlaylist(await body(await call(ep.path, {}, cached))).media!.map((x) => x.name)).toEqual(["English", "English (en-GB)", "Français"]);
    expect((await call(capsPath(ep, "en-GB"), { method: "DELETE", headers: AUTH }, cached)).status).toBe(204);
    expect((await call(capsPath(ep, "fr"), { method: "DELETE", headers: AUTH }, cached)).status).toBe(204);
    expect(parseMasterPlaylist(await body(await call(ep.path, {}, cached))).media!.map((x) => x.language)).toEqual(["en"]);

    // No captions: no EXT-X-MEDIA and no SUBTITLES attribute.
    const plain = await seedEpisode({ renditions: twoRenditions() });
    const none = await body(await call(plain.path));
    expect(none).not.toContain("#EXT-X-MEDIA");
    expect(none).not.toContain("SUBTITLES=");
  });

  it("the subtitle playlist has the stitched variant's segments, durations and discontinuities (pre, mid, post); ad segments are empty WebVTT", async () => {
    const { ep } = await scene();
    const master = parseMasterPlaylist(await body(await call(ep.path, {}, { AD_BREAKS: "pre,0.5,post" })));
    expect(planOf(master.variants[0]!.uri).b.map(([, at]) => at)).toEqual([0, 30, -1]);
    const video = await body(await call(master.variants[0]!.uri));
    const res = await call(master.media![0]!.uri);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/vnd.apple.mpegurl");
    const subs = await body(res);
    expect(specProblems(subs)).toEqual([]);
    const v = lines(video);
    const s = lines(subs);
    expect(s.segments).toHaveLength(v.segments.length);
    expect(s.segments.map((x) => x.duration)).toEqual(v.segments.map((x) => x.duration));
    const marks = (l: ReturnType<typeof lines>) => l.segments.map((x) => x.tags.filter((t) => /^#EXT-X-(DISCONTINUITY|CUE-OUT|CUE-IN)/.test(t)));
    expect(marks(s)).toEqual(marks(v));
    expect(count(subs, "#EXT-X-DISCONTINUITY")).toBe(4);
    expect(subs).not.toMatch(/#EXT-X-(MAP|KEY)/);

    const isAd = v.segments.map((x) => x.uri.includes("/ads/"));
    expect(isAd.filter(Boolean)).toHaveLength(9);
    for (const [i, seg] of s.segments.entries()) {
      if (isAd[i]) expect(seg.uri).toBe("https://cdn.test/api/v1/resource/captions/empty.vtt");
      else expect(seg.uri).toMatch(new RegExp(`^https://cdn\\.test${ep.path}/c/en/[0-9a-f-]{36}\\.vtt\\?from=\\d+\\.000&to=\\d+\\.000(&clip=(start|end))?&ts=126000$`));
    }
    const empty = await call(s.segments[0]!.uri);
    expect([empty.status, empty.headers.get("content-type"), await empty.text()]).toEqual([200, "text/vtt; charset=utf-8", "WEBVTT\n\n"]);

    // Content windows, in order, cover the content once: 0-6, 6-12, … 54-60; the ones beside a break cut cues there.
    const windows = s.segments.filter((_, i) => !isAd[i]).map((x) => [new URL(x.uri).searchParams.get("from"), new URL(x.uri).searchParams.get("to"), new URL(x.uri).searchParams.get("clip")]);
    const clips: Record<number, string> = { 4: "end", 5: "start", 9: "end" };
    expect(windows).toEqual(Array.from({ length: 10 }, (_, i) => [`${i * 6}.000`, `${i * 6 + 6}.000`, clips[i] ?? null]));

    // A cue across the mid-roll (content 30 s) shows until the ad and again after it, never over it.
    expect((await put(ep, "fr", "1\n00:00:29,500 --> 00:00:31,000\nAcross the break\n")).status).toBe(201);
    const fr = new URL(master.media![0]!.uri.replace("/s/en.m3u8", "/s/fr.m3u8"));
    const frSegs = lines(await body(await call(fr.href))).segments.map((x) => x.uri).filter((u) => u.includes("/c/fr/"));
    const cueOf = async (from: string) => (await (await call(frSegs.find((u) => new URL(u).searchParams.get("from") === from)!)).text()).split("\n\n")[1];
    expect(await cueOf("24.000")).toBe("00:00:29.500 --> 00:00:30.000\nAcross the break\n");
    expect(await cueOf("30.000")).toBe("00:00:30.000 --> 00:00:31.000\nAcross the break\n");
  });

  it("a caption segment holds exactly the cues overlapping its window, at content times, with X-TIMESTAMP-MAP", async () => {
    const { ep } = await scene();
    const master = parseMasterPlaylist(await body(await call(ep.path)));
    const subs = lines(await body(await call(master.media![0]!.uri)));
    const byFrom = new Map(subs.segments.filter((x) => x.uri.includes("/c/en/")).map((x) => [new URL(x.uri).searchParams.get("from"), x.uri]));
    const get = async (uri: string) => {
      const r = await call(uri);
      expect(r.status).toBe(200);
      expect(r.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
      return r.text();
    };
    const head = "WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:126000,LOCAL:00:00:00.000\n\n";
    expect(await get(byFrom.get("0.000")!)).toBe(`${head}00:00:01.000 --> 00:00:02.000\nOne\n\n00:00:05.500 --> 00:00:07.000\nAcross a boundary\n`);
    expect(await get(byFrom.get("6.000")!)).toBe(`${head}00:00:05.500 --> 00:00:07.000\nAcross a boundary\n`);
    expect(await get(byFrom.get("12.000")!)).toBe(head);
    expect(await get(byFrom.get("36.000")!)).toBe(`${head}00:00:40.000 --> 00:00:41.000\n<i>Forty</i>\n`);

    // Without ts (the URL as first specified): the base is read from the episode's video, cached briefly.
    const noTs = new URL(byFrom.get("36.000")!);
    noTs.searchParams.delete("ts");
    const r = await call(noTs.href);
    expect([r.status, r.headers.get("cache-control"), await r.text()]).toEqual([200, "public, max-age=60", `${head}00:00:40.000 --> 00:00:41.000\n<i>Forty</i>\n`]);

    // Refusals.
    const bad = async (mutate: (u: URL) => void, status: number, pattern: RegExp) => {
      const u = new URL(byFrom.get("0.000")!);
      mutate(u);
      const res = await call(u.href);
      expect([res.status, await reason(res)]).toEqual([status, expect.stringMatching(pattern)]);
    };
    await bad((u) => u.searchParams.set("to", "0"), 400, /^query\.to: must be after from$/);
    await bad((u) => u.searchParams.set("from", "1e3"), 400, /^query\.from:/);
    await bad((u) => u.searchParams.delete("to"), 400, /^query\.to:/);
    await bad((u) => u.searchParams.set("ts", "9999999999"), 400, /^query\.ts:/);
    await bad((u) => (u.pathname = u.pathname.replace(/[0-9a-f-]{36}\.vtt$/, `${crypto.randomUUID()}.vtt`)), 404, /not found/);
    await bad((u) => (u.pathname = u.pathname.replace(/[0-9a-f-]{36}\.vtt$/, "..%2Fx.vtt")), 400, /^param\.file:/);
    await bad((u) => (u.pathname = u.pathname.replace("/c/en/", "/c/e_n/")), 400, /^param\.lang:/);

    // The subtitle playlist of a language the episode has not.
    const fr = new URL(master.media![0]!.uri);
    fr.pathname = fr.pathname.replace("/s/en.m3u8", "/s/fr.m3u8");
    const none = await call(fr.href);
    expect([none.status, await reason(none)]).toEqual([404, expect.stringMatching(/has no captions in fr$/)]);
    const noPlan = new URL(master.media![0]!.uri);
    noPlan.search = "";
    expect((await call(noPlan.href)).status).toBe(400);
    const forged = new URL(master.media![0]!.uri);
    forged.searchParams.set("plan", `${forged.searchParams.get("plan")!.split(".")[0]}.AAAA`);
    expect((await call(forged.href)).status).toBe(403);
  });

  it("with MEDIA_SIGNING=on, caption segment URIs carry a token over the episode's captions and need it", async () => {
    const { ep } = await scene();
    const on = { MEDIA_SIGNING: "on" };
    const master = parseMasterPlaylist(await body(await call(ep.path, {}, on)));
    const subs = lines(await body(await call(master.media![0]!.uri, {}, on)));
    const caption = subs.segments.find((x) => x.uri.includes("/c/en/"))!.uri;
    expect(new URL(caption).searchParams.get("token")).toBeTruthy();
    expect((await call(caption, {}, on)).status).toBe(200);
    const stripped = new URL(caption);
    stripped.searchParams.delete("token");
    const refused = await call(stripped.href, {}, on);
    expect([refused.status, await reason(refused)]).toEqual([403, expect.stringMatching(/^token:/)]);
    // A token of the video's prefix opens no captions.
    const videoToken = new URL(lines(await body(await call(master.variants[0]!.uri, {}, on))).segments.find((x) => x.uri.includes("/films/"))!.uri).searchParams.get("token")!;
    stripped.searchParams.set("token", videoToken);
    expect((await call(stripped.href, {}, on)).status).toBe(403);
    // Off: no token in the URIs.
    const off = lines(await body(await call(parseMasterPlaylist(await body(await call(ep.path))).media![0]!.uri)));
    expect(off.segments.every((x) => !x.uri.includes("token="))).toBe(true);
  });

  it("fMP4 content: the MPEGTS base is the smallest tfdt over the tracks of the first segment, by the init's timescales", async () => {
    const ep = await seedEpisode({ renditions: [{ name: "720p", bandwidth: 2_800_000, durations: Array(5).fill(4), container: "fmp4" }] });
    const { init, segment } = fmp4([
      { id: 1, timescale: 12800, decode: 12800 * 10 },
      { id: 2, timescale: 48000, decode: 48000 * 10 + 480 },
    ]);
    await env.MEDIA.put(`${ep.prefix}720p/init_720p.mp4`, init);
    await env.MEDIA.put(`${ep.prefix}720p/seg_00000.m4s`, segment);
    expect((await put(ep, "en", SRT)).status).toBe(201);
    const master = parseMasterPlaylist(await body(await call(ep.path)));
    const subs = await body(await call(master.media![0]!.uri));
    expect(subs).not.toMatch(/#EXT-X-(MAP|KEY)/);
    const first = lines(subs).segments[0]!.uri;
    expect(new URL(first).searchParams.get("ts")).toBe("900000");
    expect(await (await call(first)).text()).toMatch(/^WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:900000,LOCAL:00:00:00.000\n/);
  });

  it("deleting the film or the episode deletes its caption objects", async () => {
    const { ep } = await scene();
    expect(await objectsUnder(captionsPrefix(ep.filmId, ep.route, ep.episode))).toHaveLength(1);
    expect((await call(`/api/v1/upload/media/${ep.filmId}`, { method: "DELETE", headers: AUTH })).status).toBe(200);
    expect(await objectsUnder(captionsPrefix(ep.filmId, ep.route, ep.episode))).toEqual([]);

    const other = await seedEpisode({ renditions: twoRenditions() });
    expect((await put(other, "en", SRT)).status).toBe(201);
    expect((await call(`/api/v1/upload/media/resource/${other.route}/${other.filmId}/${other.episode}`, { method: "DELETE", headers: AUTH })).status).toBe(200);
    expect(await objectsUnder(captionsPrefix(other.filmId, other.route, other.episode))).toEqual([]);
  });
});
