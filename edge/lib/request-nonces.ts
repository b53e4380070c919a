// Replay protection for signed requests that mint grants: each nonce is accepted once while its
// signature could still verify (schema/signing.ts MAX_SKEW_MS either side of its timestamp).
import { lt } from "drizzle-orm";
import type { DrizzleD1Database } from "drizzle-orm/d1";
import { MAX_SKEW_MS } from "../../schema/signing";
import { requestNonces } from "../../schema/tables";

/** true when the nonce is new (and is now remembered); false when it was seen before: a replay. */
export async function firstUseOf(db: DrizzleD1Database, nonce: string, signedAt: number): Promise<boolean> {
  const made = await db
    .insert(requestNonces)
    .values({ nonce, expiresAt: signedAt + MAX_SKEW_MS })
    .onConflictDoNothing()
    .returning({ nonce: requestNonces.nonce });
  return made.length > 0;
}

/** Nonces whose signatures are stale anyway: a replay of them is refused by the timestamp. */
export function pruneNonces(db: DrizzleD1Database, now: number) {
  return db.delete(requestNonces).where(lt(requestNonces.expiresAt, now));
}
