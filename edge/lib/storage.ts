import { isSafeKey } from "../../schema/signing";

/** Deletes every object under `prefix` (a key prefix ending with "/"); answers how many went. */
export async function deletePrefix(bucket: R2Bucket, prefix: string): Promise<number> {
  // A prefix is built from validated ids; refuse anything that could widen the delete.
  if (!prefix.endsWith("/") || !isSafeKey(prefix) || prefix.split("/").length < 3) {
    throw new Error(`refusing to delete under unsafe prefix ${JSON.stringify(prefix)}`);
  }
  let deleted = 0;
  // Each round deletes what it listed, so listing again from the start (no cursor) never skips.
  for (;;) {
    const page = await bucket.list({ prefix, limit: 1000 });
    if (page.objects.length === 0) return deleted;
    await bucket.delete(page.objects.map((o) => o.key));
    deleted += page.objects.length;
    if (!page.truncated) return deleted;
  }
}

/** Background cleanup that must not fail the request that scheduled it. */
export function cleanupLater(ctx: { waitUntil(p: Promise<unknown>): void }, what: string, work: () => Promise<unknown>): void {
  ctx.waitUntil(
    work().catch((e) => {
      console.error(`cleanup failed: ${what}`, e);
    }),
  );
}
