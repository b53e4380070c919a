// The Worker's configuration: the vars of wrangler.toml (plus three optional tuning vars) and the two
// secrets, read and validated once per env object. A bad value never takes the service down: each
// field falls back the way the README's configuration table says (an invalid AD_BREAKS is logged and
// played without ads, an invalid size uses the default).
import { z } from "zod";
import type { Env } from "./env";
import { fetchableUrl, isLoopback } from "../schema/urls";
import { type BreakSpec, parseAdBreaks } from "./hls/ad-breaks";

/** Per-day view counts older than this many days are pruned by the cron (totals stay on the film). */
export const DEFAULT_VIEW_HISTORY_DAYS = 400;

const MiB = 1024 * 1024;

/** A whole number above 0 (bytes, seconds); unset, empty or anything else: `fallback`. */
const positiveInt = (fallback: number) => z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER).catch(fallback);
/** Seconds, 0 or more (fractions too); unset, empty or anything else: `fallback`. */
const seconds = (fallback: number) =>
  z
    .preprocess((v) => (typeof v === "string" && v.trim() === "" ? undefined : v), z.coerce.number().min(0))
    .catch(fallback);
const flag = z
  .string()
  .optional()
  .transform((v) => /^(1|true|yes|on)$/i.test((v ?? "").trim()));
/** Base URLs are joined with paths that start with "/": no trailing slash, whatever the var says. */
const baseUrl = z
  .string()
  .optional()
  .transform((v) => (v ?? "").replace(/\/+$/, ""));
/** An empty secret is no secret. */
const secret = z
  .string()
  .optional()
  .transform((v) => v || null);

/**
 * CORS_ORIGINS: `*` (any origin) or a comma-separated list of origins (`https://a.example, https://b.example`);
 * empty: no cross-origin access.
 */
export function parseOrigins(value: string | undefined): "*" | string[] {
  const list = (value ?? "")
    .split(",")
    .map((o) => o.trim().replace(/\/+$/, ""))
    .filter(Boolean);
  return list.includes("*") ? "*" : list;
}


/**
 * Why the bridge must not deliver to TRANSCODER_URL, or null. A delivery carries a job's signed grants
 * (a GET of its source, a PUT of its whole output prefix): in clear, anyone on the path could use
 * them. So https, or http to a loopback host, or http where ALLOW_INSECURE_TRANSCODER says the network
 * is private. The reasons never repeat the URL: /healthz shows them to anyone.
 */
export function transcoderUrlProblem(url: string, allowInsecure: boolean): string | null {
  if (!url) return "TRANSCODER_URL is not set";
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return "TRANSCODER_URL is not a URL";
  }
  if (u.protocol === "https:") return null;
  if (u.protocol !== "http:") return `TRANSCODER_URL must be https (it is ${u.protocol.slice(0, -1)})`;
  if (isLoopback(u.hostname) || allowInsecure) return null;
  return "TRANSCODER_URL is plain http to a host that is not loopback: jobs would carry their signed URLs in clear (use https, or set ALLOW_INSECURE_TRANSCODER=true on a private network)";
}

const Vars = z.object({
  PUBLIC_BASE_URL: baseUrl,
  TRANSCODER_URL: baseUrl,
  // Optional, not in wrangler.toml: plain http to a transcoder that is not loopback (a private network).
  ALLOW_INSECURE_TRANSCODER: flag,
  AD_BREAKS: z.string().optional().transform((v) => parseAdBreaks(v)),
  AD_SERVER_URL: z.string().optional().transform((v) => parseAdServerUrl(v)),
  AD_DECISION_TIMEOUT_MS: positiveInt(1500),
  CORS_ORIGINS: z.string().optional().transform(parseOrigins),
  MEDIA_SIGNING: flag,
  MAX_UPLOAD_BYTES: positiveInt(100 * MiB),
  MAX_IMAGE_BYTES: positiveInt(10 * MiB),
  DELETE_SOURCE_AFTER_TRANSCODE: flag,
  CATALOG_FRESH_SECONDS: seconds(30),
  CATALOG_STALE_SECONDS: seconds(30),
  CATALOG_VERSION_CHECK_SECONDS: seconds(5),
  // Optional tuning, not in wrangler.toml: the defaults suit most deployments.
  JOB_URL_TTL_SECONDS: positiveInt(6 * 3600),
  UPLOAD_URL_TTL_SECONDS: positiveInt(24 * 3600),
  VIEW_HISTORY_DAYS: positiveInt(DEFAULT_VIEW_HISTORY_DAYS),
  ADMIN_TOKEN: secret,
  SIGNING_SECRET: secret,
});

/**
 * AD_SERVER_URL: an https URL template (plain http only to a loopback host, for local ad servers); empty:
 * no ad server. Anything else is logged and treated as empty.
 */
export function parseAdServerUrl(value: string | undefined): { ok: true; url: string | null; loopback: boolean } | { ok: false; error: string } {
  const v = (value ?? "").trim();
  if (v === "") return { ok: true, url: null, loopback: false };
  // Macros are not URL syntax: check the template with them blanked.
  const probe = fetchableUrl(v.replace(/\[[A-Z0-9_]+\]|%%[A-Z0-9_]+%%/g, "x"), true);
  if (!probe) return { ok: false, error: "AD_SERVER_URL: must be an https URL (http only to 127.0.0.1/localhost)" };
  return { ok: true, url: v, loopback: probe.protocol === "http:" || isLoopback(probe.hostname) };
}

export interface Config {
  /** The origin the website, the transcoder and uploaders reach (`<cdn>` of the API contract). */
  publicBaseUrl: string;
  transcoderUrl: string;
  /** Why the bridge refuses to deliver to transcoderUrl (see transcoderUrlProblem), or null. */
  transcoderProblem: string | null;
  /** Empty when AD_BREAKS says none, or is invalid. */
  adBreaks: BreakSpec[];
  /** The ad server's URL template, or null (the site's own ads only). */
  adServerUrl: string | null;
  /**
   * Whether URLs from the ad server may be plain http to a loopback host: only when AD_SERVER_URL itself is
   * one (a local ad server in development and tests). Otherwise https only.
   */
  adServerLoopback: boolean;
  /** Bound on the whole ad decision of one master playlist. */
  adDecisionTimeoutMs: number;
  corsOrigins: "*" | string[];
  mediaSigning: boolean;
  maxUploadBytes: number;
  maxImageBytes: number;
  deleteSourceAfterTranscode: boolean;
  /** Catalog answers from the Cache API: served as they are this long (lib/answer-cache.ts)… */
  catalogFreshSeconds: number;
  /** …then served stale at most this much longer while one request re-renders them. */
  catalogStaleSeconds: number;
  /** How often an isolate reads the catalog version (admin writes show within it). */
  catalogVersionCheckSeconds: number;
  /** Lifetime of a job's signed source/output URLs. */
  jobUrlTtlSeconds: number;
  /** Lifetime of a signed multipart upload's part URLs. */
  uploadUrlTtlSeconds: number;
  /** Days of per-day view counts kept (film_views); the roll-up keeps at least the ranking window plus one. */
  viewHistoryDays: number;
  adminToken: string | null;
  signingSecret: string | null;
}

// Parsed once per env object. The Worker hands each request a copy of its env (edge/index.ts swaps in
// a counting D1 binding) and tests pass their own, so copies with the same vars share one parse.
const byEnv = new WeakMap<object, Config>();
const byVars = new Map<string, Config>();
const NAMES = Object.keys(Vars.shape) as Array<keyof typeof Vars.shape>;

export function config(env: Env): Config {
  let cfg = byEnv.get(env);
  if (cfg) return cfg;
  const vars = env as unknown as Record<string, unknown>;
  const key = JSON.stringify(NAMES.map((name) => vars[name] ?? null));
  cfg = byVars.get(key);
  if (!cfg) {
    cfg = fromVars(Vars.parse(env));
    // Deployments have one set of vars; only tests make more. Bounded all the same.
    if (byVars.size >= 64) byVars.clear();
    byVars.set(key, cfg);
  }
  byEnv.set(env, cfg);
  return cfg;
}

function fromVars(v: z.infer<typeof Vars>): Config {
  if (!v.AD_BREAKS.ok) console.error(`invalid AD_BREAKS, playing without ads: ${v.AD_BREAKS.error}`);
  const adBreaks = v.AD_BREAKS.ok ? v.AD_BREAKS.breaks : [];
  if (!v.SIGNING_SECRET && adBreaks.length) console.error("SIGNING_SECRET is not set: ad plans cannot be signed, playing without ads");
  const transcoderProblem = transcoderUrlProblem(v.TRANSCODER_URL, v.ALLOW_INSECURE_TRANSCODER);
  if (transcoderProblem) console.error(`${transcoderProblem}; the bridge delivers no job until it is fixed (TRANSCODER_URL=${v.TRANSCODER_URL})`);
  if (!v.AD_SERVER_URL.ok) console.error(`invalid AD_SERVER_URL, using the site's own ads only: ${v.AD_SERVER_URL.error}`);
  return {
    publicBaseUrl: v.PUBLIC_BASE_URL,
    transcoderUrl: v.TRANSCODER_URL,
    transcoderProblem,
    adBreaks,
    adServerUrl: v.AD_SERVER_URL.ok ? v.AD_SERVER_URL.url : null,
    adServerLoopback: v.AD_SERVER_URL.ok && v.AD_SERVER_URL.loopback,
    adDecisionTimeoutMs: v.AD_DECISION_TIMEOUT_MS,
    corsOrigins: v.CORS_ORIGINS,
    mediaSigning: v.MEDIA_SIGNING,
    maxUploadBytes: v.MAX_UPLOAD_BYTES,
    maxImageBytes: v.MAX_IMAGE_BYTES,
    deleteSourceAfterTranscode: v.DELETE_SOURCE_AFTER_TRANSCODE,
    catalogFreshSeconds: v.CATALOG_FRESH_SECONDS,
    catalogStaleSeconds: v.CATALOG_STALE_SECONDS,
    catalogVersionCheckSeconds: v.CATALOG_VERSION_CHECK_SECONDS,
    jobUrlTtlSeconds: v.JOB_URL_TTL_SECONDS,
    uploadUrlTtlSeconds: v.UPLOAD_URL_TTL_SECONDS,
    viewHistoryDays: v.VIEW_HISTORY_DAYS,
    adminToken: v.ADMIN_TOKEN,
    signingSecret: v.SIGNING_SECRET,
  };
}
