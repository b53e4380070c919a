// Signed multipart uploads that can no longer finish. Every part grant of an upload expires with it
// (uploads.ts signs them with its expiresAt), so past that an open upload only holds R2 parts that
// will never be assembled, and a completed one's row has served its purpose (answering a repeated
// "complete" whose first answer was lost). The cron (edge/index.ts) sweeps both.
import { and, asc, eq, lt } from "drizzle-orm";
import type { DrizzleD1Database } from "drizzle-orm/d1";
import { uploadParts, uploads } from "../../schema/tables";

/** Uploads swept per cron run: each open one is an R2 call, and a run has a bounded number of them. */
export const SWEEP_BATCH = 50;

/** Deletes an upload's rows (its parts first: one batch, so a part never outlives its upload). */
export function forgetUpload(db: DrizzleD1Database, id: string) {
  return db.batch([db.delete(uploadParts).where(eq(uploadParts.uploadId, id)), db.delete(uploads).where(eq(uploads.id, id))]);
}

/** Frees the R2 parts of an open upload, then forgets it. A multipart upload R2 no longer knows is fine. */
export async function abandonUpload(db: DrizzleD1Database, bucket: R2Bucket, row: { id: string; key: string; r2UploadId: string }) {
  try {
    await bucket.resumeMultipartUpload(row.key, row.r2UploadId).abort();
  } catch (e) {
    console.warn(`abort of R2 upload ${row.r2UploadId} failed (already gone?)`, e);
  }
  await forgetUpload(db, row.id);
}

export interface UploadSweep {
  abandoned: number;
  forgotten: number;
}

/** Sweeps up to SWEEP_BATCH uploads whose expiry is before `now`, oldest first. */
export async function sweepExpiredUploads(db: DrizzleD1Database, bucket: R2Bucket, now: number): Promise<UploadSweep> {
  const expired = await db
    .select({ id: uploads.id, key: uploads.key, r2UploadId: uploads.r2UploadId, status: uploads.status })
    .from(uploads)
    .where(lt(uploads.expiresAt, now))
    .orderBy(asc(uploads.expiresAt))
    .limit(SWEEP_BATCH)
    .all();
  const result: UploadSweep = { abandoned: 0, forgotten: 0 };
  for (const row of expired) {
    if (row.status === "open") {
      await abandonUpload(db, bucket, row);
      result.abandoned++;
    } else {
      // Only if still completed and expired: a row that changed since the read is left for the next run.
      await db.delete(uploads).where(and(eq(uploads.id, row.id), eq(uploads.status, "completed"), lt(uploads.expiresAt, now)));
      result.forgotten++;
    }
  }
  return result;
}
