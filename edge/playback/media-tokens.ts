// Signed media URLs (MEDIA_SIGNING=on): a playlist hands out, with every URI, a GET grant on the prefix
// of the job output it belongs to, so a token lifted from one episode opens nothing else.

import { VIEWER_URL_TTL_SECONDS, signGrant, verifyGrant } from "../../schema/signing";
import { config } from "../config";
import type { Env } from "../env";
import { ApiError } from "../lib/errors";

/**
 * Expiries are rounded up to this step, so the playlists made within one step are byte-identical
 * (cacheable) and a token's life varies by at most the step.
 */
const EXPIRY_STEP_SECONDS = 300;

export function expiryFrom(nowSeconds: number, ttl = VIEWER_URL_TTL_SECONDS): number {
  return Math.ceil((nowSeconds + ttl) / EXPIRY_STEP_SECONDS) * EXPIRY_STEP_SECONDS;
}

/** `?token=…` for every object under `prefix`, or "" when signing is off. */
export async function mediaQuery(env: Env, prefix: string, nowSeconds = Math.floor(Date.now() / 1000)): Promise<string> {
  const secret = signingSecret(env);
  if (!secret) return "";
  return `?token=${await signGrant(secret, { u: "viewer-media", m: "GET", p: prefix, e: expiryFrom(nowSeconds) })}`;
}

/** The secret media tokens are signed with; null when MEDIA_SIGNING is off. */
function signingSecret(env: Env): string | null {
  const { mediaSigning, signingSecret } = config(env);
  if (!mediaSigning) return null;
  if (!signingSecret) throw new MediaSigningUnconfigured();
  return signingSecret;
}

/** A deployment mistake, answered 503 `{"reason"}` by the app's error handler. */
export class MediaSigningUnconfigured extends ApiError {
  constructor() {
    super(503, "MEDIA_SIGNING is on but the SIGNING_SECRET secret is not set");
  }
}

/** null when the request may read `key`; otherwise why not (a 403). */
export async function refusal(env: Env, key: string, token: string | undefined): Promise<string | null> {
  const secret = signingSecret(env);
  if (!secret) return null;
  const check = await verifyGrant(secret, token, { purpose: "viewer-media", method: "GET", key });
  return check.ok ? null : `token: ${check.reason}`;
}
