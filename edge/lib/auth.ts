import { createMiddleware } from "hono/factory";
import { hex, timingSafeEqualText } from "../../schema/signing";
import { config } from "../config";
import type { AppEnv } from "../env";
import { refuse } from "./responses";

/**
 * A signed part upload carries its own credential (the token in its URL), so the uploader can hand
 * part URLs to a helper without handing over the admin token.
 */
const TOKEN_ROUTES: ReadonlyArray<{ method: string; path: RegExp }> = [
  { method: "PUT", path: /^\/api\/v1\/admin\/uploads\/[^/]+\/parts\/[^/]+$/ },
];

/**
 * `Authorization: Bearer <ADMIN_TOKEN>`, compared in constant time. A deployment without the secret
 * refuses every admin call rather than running open.
 */
export const requireAdmin = createMiddleware<AppEnv>(async (c, next) => {
  const path = new URL(c.req.url).pathname;
  if (TOKEN_ROUTES.some((r) => r.method === c.req.method && r.path.test(path))) return next();

  const expected = config(c.env).adminToken;
  if (!expected) {
    return refuse(c, 503, "the server has no admin token configured (set the ADMIN_TOKEN secret)");
  }
  const header = c.req.header("authorization");
  if (!header) return refuse(c, 401, "authorization: missing bearer token", { "WWW-Authenticate": "Bearer" });
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!m || !(await sameSecret(m[1]!, expected))) {
    return refuse(c, 401, "authorization: bad bearer token", { "WWW-Authenticate": "Bearer" });
  }
  return next();
});

/** Digests first so the comparison also hides the expected token's length. */
async function sameSecret(given: string, expected: string): Promise<boolean> {
  const digest = async (s: string) => hex(new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(s))));
  return timingSafeEqualText(await digest(given), await digest(expected));
}
