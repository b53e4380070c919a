import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { signGrant } from "../../schema/signing";
import { lines, specProblems } from "./hls-fixtures";
import { body, call, onlyFilmAds, seedEpisode, seedFilmAd, variantUris } from "./playback-fixtures";

const ON = { MEDIA_SIGNING: "on" };
const SECRET = "test-signing-secret";
const M = "/api/v1/resource/media/";

async function signedScene() {
  const ep = await seedEpisode({ renditions: [{ name: "720p", bandwidth: 2_000_000, durations: [6, 6, 6, 6], segments: true }] });
  const ad = await seedFilmAd({ renditions: [{ name: "only", bandwidth: 2_000_000, durations: [4, 4], segments: true }] });
  await onlyFilmAds([ad.id]);
  const master = await body(await call(ep.path, {}, ON));
  const stitched = await body(await call(variantUris(master)[0]!, {}, ON));
  return { ep, ad, stitched };
}

describe("MEDIA_SIGNING=on", () => {
  it("puts a token on every URI of a stitched playlist, scoped to the prefix it belongs to", async () => {
    const { ep, ad, stitched } = await signedScene();
    expect(specProblems(stitched)).toEqual([]);
    const segs = lines(stitched).segments.map((s) => new URL(s.uri));
    expect(segs.length).toBe(4 + 2 * 2);
    for (const u of segs) {
      const token = u.searchParams.get("token");
      expect(token).toBeTruthy();
      const grant = JSON.parse(atob(token!.split(".")[0]!.replaceAll("-", "+").replaceAll("_", "/")));
      const key = u.pathname.slice(M.length);
      expect(grant).toMatchObject({ m: "GET", p: key.startsWith("ads/") ? ad.prefix : ep.prefix });
      // Hours, not minutes: a long film with pauses must still play.
      expect(grant.e - Date.now() / 1000).toBeGreaterThan(5 * 3600);
    }
  });

  it("serves a segment with its token, and refuses it without one, with a foreign one or an expired one", async () => {
    const { ep, stitched } = await signedScene();
    const segs = lines(stitched).segments.map((s) => new URL(s.uri));
    const content = segs.find((u) => u.pathname.includes("/films/"))!;
    const adSeg = segs.find((u) => u.pathname.includes("/ads/"))!;

    const ok = await call(content.pathname + content.search, {}, ON);
    expect(ok.status).toBe(200);
    expect((await ok.arrayBuffer()).byteLength).toBe(752);
    expect((await call(adSeg.pathname + adSeg.search, {}, ON)).status).toBe(200);

    const bare = await call(content.pathname, {}, ON);
    expect(bare.status).toBe(403);
    expect(await bare.json()).toEqual({ reason: "token: missing token" });

    const crossed = await call(adSeg.pathname + content.search, {}, ON);
    expect(crossed.status).toBe(403);
    expect(await crossed.json()).toEqual({ reason: "token: token does not cover this key" });

    const otherEpisode = await seedEpisode({ renditions: [{ name: "720p", bandwidth: 2_000_000, durations: [6], segments: true }] });
    const foreign = await call(`${M}${otherEpisode.prefix}720p/seg_00000.ts${content.search}`, {}, ON);
    expect(foreign.status).toBe(403);

    const expired = await signGrant(SECRET, { u: "viewer-media", m: "GET", p: ep.prefix, e: Math.floor(Date.now() / 1000) - 1 });
    const late = await call(`${content.pathname}?token=${expired}`, {}, ON);
    expect(late.status).toBe(403);
    expect(await late.json()).toEqual({ reason: "token: token expired" });

    const put = await signGrant(SECRET, { u: "viewer-media", m: "PUT", p: ep.prefix, e: Math.floor(Date.now() / 1000) + 60 });
    expect((await call(`${content.pathname}?token=${put}`, {}, ON)).status).toBe(403);

    const forged = await signGrant("another-secret", { u: "viewer-media", m: "GET", p: ep.prefix, e: Math.floor(Date.now() / 1000) + 60 });
    expect((await call(`${content.pathname}?token=${forged}`, {}, ON)).status).toBe(403);

    // HEAD is held to the same rule.
    expect((await call(content.pathname, { method: "HEAD" }, ON)).status).toBe(403);
  });

  it("guards the files beside the playlist too, and leaves posters and image ads public", async () => {
    const { ep } = await signedScene();
    await env.MEDIA.put(`${ep.prefix}key.bin`, new Uint8Array(16));
    expect((await call(`${ep.path}/key.bin`, {}, ON)).status).toBe(403);
    const token = await signGrant(SECRET, { u: "viewer-media", m: "GET", p: ep.prefix, e: Math.floor(Date.now() / 1000) + 60 });
    expect((await call(`${ep.path}/key.bin?token=${token}`, {}, ON)).status).toBe(200);

    const poster = `films/${ep.filmId}/poster/${crypto.randomUUID()}.png`;
    const frame = `${ep.prefix}poster.jpg`;
    const image = `ads/${crypto.randomUUID()}/image.gif`;
    for (const key of [poster, frame, image]) {
      await env.MEDIA.put(key, new Uint8Array([1]));
      expect((await call(M + key, {}, ON)).status, key).toBe(200);
    }
    // Other objects under the same prefix are not posters.
    await env.MEDIA.put(`${ep.prefix}720p/poster.jpg`, new Uint8Array([1]));
    expect((await call(`${M}${ep.prefix}720p/poster.jpg`, {}, ON)).status).toBe(403);
  });

  it("answers 503 with a reason when signing is on but no secret is configured", async () => {
    const ep = await seedEpisode({ renditions: [{ name: "720p", bandwidth: 2_000_000, durations: [6], segments: true }] });
    const res = await call(`${M}${ep.prefix}720p/seg_00000.ts`, {}, { ...ON, SIGNING_SECRET: "" });
    expect(res.status).toBe(503);
    expect((await res.json<{ reason: string }>()).reason).toMatch(/SIGNING_SECRET/);
  });

  it("with signing off, the same URIs carry no token and segments need none", async () => {
    const ep = await seedEpisode({ renditions: [{ name: "720p", bandwidth: 2_000_000, durations: [6, 6], segments: true }] });
    const stitched = await body(await call(variantUris(await body(await call(ep.path)))[0]!));
    expect(stitched).not.toContain("token=");
    expect((await call(`${M}${ep.prefix}720p/seg_00001.ts`)).status).toBe(200);
  });
});
