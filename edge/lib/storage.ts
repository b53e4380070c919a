// Deleting objects by prefix (or one by key), durably. D1 and R2 cannot change in one transaction, so a
// delete is asked for in the same D1 batch as the rows that stop pointing at the objects (askDelete, a
// pending_deletes row), carried out at once (deleteAsked), and, if R2 fails half-way or the Worker is
// stopped, finished by the cron (finishAskedDeletes). Only objects uploaded before the ask go: an episode
// uploaded again under the same prefix keeps its new objects. An ask can also wait (`delayMs`) while
// viewers may still be sent to the objects, then only the cron carries it out.
import { z } from "@hono/zod-openapi";
import { and, asc, eq, lt, lte, sql } from "drizzle-orm";
import type { DrizzleD1Database } from "drizzle-orm/d1";
import { isSafeKey } from "../../schema/signing";
import { pendingDeletes } from "../../schema/tables";

/** Deletes every object under `prefix` (ending with "/") uploaded at or before `before`; answers how many went. */
async function deletePrefix(bucket: R2Bucket, prefix: string, before: number): Promise<number> {
  // A prefix is built from validated ids; refuse anything that could widen the delete.
  if (!prefix.endsWith("/") || !isSafeKey(prefix) || prefix.split("/").length < 3) {
    throw new Error(`refusing to delete under unsafe prefix ${JSON.stringify(prefix)}`);
  }
  let deleted = 0;
  let cursor: string | undefined;
  for (;;) {
    const page = await bucket.list({ prefix, limit: 1000, cursor });
    const doomed = page.objects.filter((o) => o.uploaded.getTime() <= before).map((o) => o.key);
    if (doomed.length) await bucket.delete(doomed);
    deleted += doomed.length;
    if (!page.truncated) return deleted;
    cursor = page.cursor;
  }
}

/**
 * The statement that records the ask (put it in the batch that changes the rows). The time is D1's at the
 * batch, after which no grant lets anything be written under the prefix's rows any more; asked again, the
 * later time wins.
 */
export function askDelete(db: DrizzleD1Database, prefix: string, reason: string, opts: { delayMs?: number } = {}) {
  const askedAt = sql`CAST(unixepoch('subsec') * 1000 AS INTEGER)`;
  const dueAt = opts.delayMs ? sql`CAST(unixepoch('subsec') * 1000 AS INTEGER) + ${Math.round(opts.delayMs)}` : null;
  return db
    .insert(pendingDeletes)
    .values({ prefix, askedAt, reason, dueAt })
    .onConflictDoUpdate({ target: pendingDeletes.prefix, set: { askedAt, reason, dueAt } });
}

/** Deletes `key` (one object) if it was uploaded at or before `before`; 1 if it went. */
async function deleteKey(bucket: R2Bucket, key: string, before: number): Promise<number> {
  if (!isSafeKey(key) || key.split("/").length < 3) throw new Error(`refusing to delete unsafe key ${JSON.stringify(key)}`);
  const head = await bucket.head(key);
  if (!head || head.uploaded.getTime() > before) return 0;
  await bucket.delete(key);
  return 1;
}

/**
 * Carries out the ask for `prefix`: deletes what it covers, then forgets it (unless asked again since).
 * On failure the ask stays for the cron, with the error, and the error is thrown. No ask: nothing to do.
 */
export async function deleteAsked(db: DrizzleD1Database, bucket: R2Bucket, prefix: string): Promise<number> {
  const ask = await db.select({ askedAt: pendingDeletes.askedAt }).from(pendingDeletes).where(eq(pendingDeletes.prefix, prefix)).get();
  if (!ask) return 0;
  let deleted: number;
  try {
    deleted = prefix.endsWith("/") ? await deletePrefix(bucket, prefix, ask.askedAt) : await deleteKey(bucket, prefix, ask.askedAt);
  } catch (e) {
    await db
      .update(pendingDeletes)
      .set({ attempts: sql`${pendingDeletes.attempts} + 1`, lastError: String(e).slice(0, 500) })
      .where(eq(pendingDeletes.prefix, prefix));
    throw e;
  }
  await db.delete(pendingDeletes).where(and(eq(pendingDeletes.prefix, prefix), lte(pendingDeletes.askedAt, ask.askedAt)));
  return deleted;
}

/** What a delete route answers: the objects deleted, or that the cron will finish (R2 failed for now). */
export type DeletedObjects = { objects: number; pending?: true };
export const DeletedObjectsShape = {
  objects: z.number().openapi({ description: "objects deleted" }),
  pending: z.literal(true).optional().openapi({ description: "R2 failed part-way: the cron finishes the delete (objects counts none)" }),
};

/** Carries out an ask within the request, so its answer can say how many objects went. */
export async function deleteAskedNow(db: DrizzleD1Database, bucket: R2Bucket, prefix: string): Promise<DeletedObjects> {
  try {
    return { objects: await deleteAsked(db, bucket, prefix) };
  } catch (e) {
    console.error(`delete of ${prefix} failed; the cron finishes it`, e);
    return { objects: 0, pending: true };
  }
}

/** Asks the Worker that made them carries out at once, in the background: a failure is left to the cron. */
export function deleteAskedLater(ctx: { waitUntil(p: Promise<unknown>): void }, db: DrizzleD1Database, bucket: R2Bucket, prefix: string): void {
  cleanupLater(ctx, `objects under ${prefix}`, () => deleteAsked(db, bucket, prefix));
}

/** Asks older than this are the cron's: younger ones may still be under way in the request that asked. */
export const ASK_GRACE_MS = 5 * 60_000;
/** Asks finished per cron run (each is at least one R2 list). */
export const ASKS_PER_RUN = 25;

export interface AskedDeletes {
  finished: number;
  objects: number;
  failed: number;
}

/** The cron's part: finishes asks that are due (ASK_GRACE_MS after they were made, or their own time), oldest first, a bounded number per run. */
export async function finishAskedDeletes(db: DrizzleD1Database, bucket: R2Bucket, now: number): Promise<AskedDeletes> {
  const due = sql<number>`coalesce(${pendingDeletes.dueAt}, ${pendingDeletes.askedAt} + ${ASK_GRACE_MS})`;
  const asks = await db
    .select({ prefix: pendingDeletes.prefix })
    .from(pendingDeletes)
    .where(lt(due, now))
    .orderBy(asc(due))
    .limit(ASKS_PER_RUN)
    .all();
  const result: AskedDeletes = { finished: 0, objects: 0, failed: 0 };
  for (const ask of asks) {
    try {
      result.objects += await deleteAsked(db, bucket, ask.prefix);
      result.finished++;
    } catch (e) {
      console.error(`delete of ${ask.prefix} failed again`, e);
      result.failed++;
    }
  }
  return result;
}

/** Background cleanup that must not fail the request that scheduled it. */
export function cleanupLater(ctx: { waitUntil(p: Promise<unknown>): void }, what: string, work: () => Promise<unknown>): void {
  ctx.waitUntil(
    work().catch((e) => {
      console.error(`cleanup failed: ${what}`, e);
    }),
  );
}
