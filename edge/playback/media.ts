// A media object from R2 by its public URL: who may read it (edge/playback/media-policy.ts), how long it
// may be cached, and the ad impression that fetching a FILM ad's first segment with its `imp` token counts.
import type { DrizzleD1Database } from "drizzle-orm/d1";
import type { Env } from "../env";
import { accessOf, cacheControlOf, impressionOf, mediaKeyFromPath, unstitchedRefusal } from "./media-policy";
import { refusal } from "./media-tokens";
import { config } from "../config";
import { utcDay } from "../lib/days";
import { verifyImpression } from "./impression-token";
import { countImpression, markImpression } from "./queries";
import { serveObject } from "./r2-object";
import { segmentBeacons } from "./ad-server";

export type MediaAnswer = { ok: true; response: Response } | { ok: false; status: 400 | 403; reason: string };

/** `rawPath`: the URL path after `/media/`, still percent-encoded. */
export async function serveMedia(
  env: Env,
  db: DrizzleD1Database,
  waitUntil: (p: Promise<unknown>) => void,
  req: Request,
  rawPath: string,
  token: string | undefined,
  imp?: string,
): Promise<MediaAnswer> {
  const checked = mediaKeyFromPath(rawPath);
  if (!checked.ok) return { ok: false, status: 400, reason: checked.reason };
  const key = checked.key;
  const access = accessOf(key);
  if (access === "private") return { ok: false, status: 403, reason: "file: upload sources are not served" };
  const unstitched = unstitchedRefusal(key);
  if (unstitched) return { ok: false, status: 403, reason: unstitched };
  if (access === "signed") {
    const refused = await refusal(env, key, token);
    if (refused) return { ok: false, status: 403, reason: refused };
  }
  const adId = impressionOf(key);
  // An ad's first segment must reach us each time it plays to count: revalidated, never served from cache blindly.
  const served = await serveObject(env.MEDIA, key, req, adId ? "public, no-cache" : cacheControlOf(key));
  const status = served.response.status;
  // Only the fetch that delivers the segment's start: a HEAD, a 304 or a range further in shows nothing new.
  if (adId && imp && req.method === "GET" && (status === 200 || status === 206) && served.start === 0) {
    waitUntil(countOnce(env, db, adId, imp).catch((e: unknown) => console.error(`impression of ad ${adId} not counted: ${String(e)}`)));
  }
  const beacon = new URL(req.url).searchParams.get("bcn");
  if (beacon && req.method === "GET" && (status === 304 || ((status === 200 || status === 206) && served.start === 0))) {
    waitUntil(segmentBeacons(env, db, beacon).catch((e: unknown) => console.error(`beacons not fired: ${String(e)}`)));
  }
  return { ok: true, response: served.response };
}

/** One impression per (plan, break): the first fetch that carries the break's token counts, the others do not. */
async function countOnce(env: Env, db: DrizzleD1Database, adId: string, imp: string): Promise<void> {
  const secret = config(env).signingSecret;
  if (!secret) return;
  const check = await verifyImpression(secret, imp, adId);
  // A bad token still gets the segment (it is a viewer's, signed or not): it just counts nothing.
  if (!check.ok) return;
  const { plan, brk, exp } = check.impression;
  if (await markImpression(db, { plan, brk, adId, expiresAt: exp * 1000 })) await countImpression(db, adId, utcDay());
}
