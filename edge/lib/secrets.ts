import { config } from "../config";
import type { Env } from "../env";
import { ApiError } from "./errors";

/** The signing secret, for routes that cannot work without it: a deployment mistake, answered 503. */
export function requireSigningSecret(env: Env): string {
  const s = config(env).signingSecret;
  if (!s) throw new ApiError(503, "the server has no signing secret configured (set SIGNING_SECRET)");
  return s;
}
