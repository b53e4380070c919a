import type { Env } from "./env";

/**
 * Optional tuning, read from vars when a deployment sets them (they are not in wrangler.toml: the
 * defaults suit most deployments).
 *   JOB_URL_TTL_SECONDS     lifetime of a job's signed source/output URLs (default 6 h)
 *   UPLOAD_URL_TTL_SECONDS  lifetime of a signed multipart upload's part URLs (default 24 h)
 */
type Tuning = "JOB_URL_TTL_SECONDS" | "UPLOAD_URL_TTL_SECONDS";

const DEFAULTS: Record<Tuning, number> = {
  JOB_URL_TTL_SECONDS: 6 * 3600,
  UPLOAD_URL_TTL_SECONDS: 24 * 3600,
};

export function tuning(env: Env, name: Tuning): number {
  const raw = (env as unknown as Partial<Record<Tuning, string>>)[name];
  const n = raw === undefined || raw === "" ? NaN : Number(raw);
  return Number.isSafeInteger(n) && n > 0 ? n : DEFAULTS[name];
}

/** `PUBLIC_BASE_URL` without a trailing slash: the origin the transcoder and uploaders reach. */
export function publicBase(env: Env): string {
  return env.PUBLIC_BASE_URL.replace(/\/+$/, "");
}

export function flag(value: string | undefined): boolean {
  return /^(1|true|yes|on)$/i.test(value ?? "");
}
