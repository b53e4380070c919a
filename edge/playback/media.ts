// A media object from R2 by its public URL: who may read it (edge/playback/media-policy.ts), how long it
// may be cached, and the ad impression that fetching a FILM ad's first segment counts.
import type { DrizzleD1Database } from "drizzle-orm/d1";
import type { Env } from "../env";
import { accessOf, cacheControlOf, impressionOf, mediaKeyFromPath } from "./media-policy";
import { refusal } from "./media-tokens";
import { utcDay } from "../lib/days";
import { countImpression } from "./queries";
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
): Promise<MediaAnswer> {
  const checked = mediaKeyFromPath(rawPath);
  if (!checked.ok) return { ok: false, status: 400, reason: checked.reason };
  const key = checked.key;
  const access = accessOf(key);
  if (access === "private") return { ok: false, status: 403, reason: "file: upload sources are not served" };
  if (access === "signed") {
    const refused = await refusal(env, key, token);
    if (refused) return { ok: false, status: 403, reason: refused };
  }
  const adId = impressionOf(key);
  // An ad's first segment must reach us each time it plays to count: revalidated, never served from cache blindly.
  const served = await serveObject(env.MEDIA, key, req, adId ? "public, no-cache" : cacheControlOf(key));
  const status = served.response.status;
  if (adId && req.method === "GET" && (status === 304 || ((status === 200 || status === 206) && served.start === 0))) {
    waitUntil(countImpression(db, adId, utcDay()).catch((e: unknown) => console.error(`impression of ad ${adId} not counted: ${String(e)}`)));
  }
  const beacon = new URL(req.url).searchParams.get("bcn");
  if (beacon && req.method === "GET" && (status === 304 || ((status === 200 || status === 206) && served.start === 0))) {
    waitUntil(segmentBeacons(env, db, beacon).catch((e: unknown) => console.error(`beacons not fired: ${String(e)}`)));
  }
  return { ok: true, response: served.response };
}
