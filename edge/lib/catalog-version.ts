/**
 * The catalog's version: a counter in D1's meta table that every admin write bumps. It is part of the
 * answer cache's keys, so a write makes every earlier cached answer unreachable at once, in every
 * location, without purging anything. Each isolate reads it at most once per check interval, which
 * bounds how long another isolate keeps serving answers from before a write.
 */
const KEY = "catalog_version";
/** A client claiming a newer version than this isolate knows (the writer's cookie) re-reads at most this often. */
const CLAIM_RECHECK_MS = 100;

/** How long a request waits for another request's read of the version before reading it itself. */
const SHARED_READ_WAIT_MS = 2000;

let known = { value: 0, checkedAt: Number.NEGATIVE_INFINITY };
/** A read under way: concurrent requests (a cold isolate under load) share it instead of each reading. */
let reading: Promise<number> | null = null;

async function read(db: D1Database, now: number): Promise<number> {
  const row = await db.prepare("SELECT value FROM meta WHERE key = ?").bind(KEY).first<{ value: string }>();
  const value = Number(row?.value ?? 0);
  // The version only grows: a bump this isolate made while the read was under way is newer than it.
  known = { value: Math.max(value, known.value), checkedAt: now };
  return known.value;
}

export async function catalogVersion(db: D1Database, checkEveryMs: number, claimed = 0): Promise<number> {
  const now = Date.now();
  const age = now - known.checkedAt;
  if (age < checkEveryMs && (claimed <= known.value || age < CLAIM_RECHECK_MS)) return known.value;
  if (reading) {
    // Another request's promise: if that request is cancelled it may never settle, so wait a bounded time.
    const timeout = new Promise<null>((resolve) => setTimeout(() => resolve(null), SHARED_READ_WAIT_MS));
    const shared = await Promise.race([reading.catch(() => null), timeout]);
    if (shared !== null && shared >= claimed) return shared;
  }
  const mine = read(db, now);
  reading = mine;
  try {
    return await mine;
  } finally {
    if (reading === mine) reading = null;
  }
}

export async function bumpCatalogVersion(db: D1Database): Promise<number> {
  const row = await db
    .prepare("INSERT INTO meta (key, value) VALUES (?1, '1') ON CONFLICT (key) DO UPDATE SET value = CAST(value AS INTEGER) + 1 RETURNING value")
    .bind(KEY)
    .first<{ value: string | number }>();
  known = { value: Number(row?.value ?? 0), checkedAt: Date.now() };
  return known.value;
}
