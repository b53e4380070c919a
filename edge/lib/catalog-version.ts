/**
 * The catalog's version: a counter in D1's meta table that every admin write bumps. It is part of the
 * answer cache's keys, so a write makes every earlier cached answer unreachable at once, in every
 * location, without purging anything. Each isolate reads it at most once per check interval, which
 * bounds how long another isolate keeps serving answers from before a write.
 */
const KEY = "catalog_version";
/** A client claiming a newer version than this isolate knows (the writer's cookie) re-reads at most this often. */
const CLAIM_RECHECK_MS = 100;

let known = { value: 0, checkedAt: Number.NEGATIVE_INFINITY };

export async function catalogVersion(db: D1Database, checkEveryMs: number, claimed = 0): Promise<number> {
  const now = Date.now();
  const age = now - known.checkedAt;
  if (age < checkEveryMs && (claimed <= known.value || age < CLAIM_RECHECK_MS)) return known.value;
  const row = await db.prepare("SELECT value FROM meta WHERE key = ?").bind(KEY).first<{ value: string }>();
  known = { value: Number(row?.value ?? 0), checkedAt: now };
  return known.value;
}

export async function bumpCatalogVersion(db: D1Database): Promise<number> {
  const row = await db
    .prepare("INSERT INTO meta (key, value) VALUES (?1, '1') ON CONFLICT (key) DO UPDATE SET value = CAST(value AS INTEGER) + 1 RETURNING value")
    .bind(KEY)
    .first<{ value: string | number }>();
  known = { value: Number(row?.value ?? 0), checkedAt: Date.now() };
  return known.value;
}
