// What the local R2 of a `wrangler dev` edge really holds, read from its persisted state: objects through
// the R2 API (miniflare over the same directory), and what the R2 API cannot list (multipart uploads in
// progress, their parts, and the blob files behind every object and part) from the simulator's own storage.
// For the fault tests: "abort frees the parts" is checked where the bytes would stay.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import { Miniflare } from "miniflare";

const BUCKET = "edge-stream-media";

/** Every object key under a prefix. */
export async function objectKeys(persistDir: string, prefix = ""): Promise<string[]> {
  const mf = new Miniflare({
    modules: true,
    script: "export default { fetch() { return new Response(null, { status: 204 }) } }",
    r2Buckets: { MEDIA: BUCKET },
    r2Persist: path.join(persistDir, "v3", "r2"),
  });
  try {
    const bucket = await mf.getR2Bucket("MEDIA");
    const keys: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await bucket.list({ prefix, cursor });
      keys.push(...page.objects.map((o) => o.key));
      cursor = page.truncated ? page.cursor : undefined;
    } while (cursor);
    return keys.sort();
  } finally {
    await mf.dispose();
  }
}

/** Blob files of the bucket: one per stored object and one per multipart part, until freed. */
export function blobCount(persistDir: string): number {
  const dir = path.join(persistDir, "v3", "r2", BUCKET, "blobs");
  return existsSync(dir) ? readdirSync(dir).length : 0;
}

export interface MultipartUpload {
  uploadId: string;
  key: string;
  /** miniflare's MultipartUploadState: 0 in progress, 1 completed, 2 aborted. */
  state: "in progress" | "completed" | "aborted";
  /** Parts still stored for it (an aborted upload keeps none). */
  parts: number;
}

const STATES = ["in progress", "completed", "aborted"] as const;

/**
 * The multipart uploads of keys under `prefix`, from miniflare's SQLite (R2 itself has no API to list them).
 * Schema of miniflare 4 (pinned with wrangler): _mf_multipart_uploads(upload_id, key, state),
 * _mf_multipart_parts(upload_id, …).
 */
export function multipartUploads(persistDir: string, prefix = ""): MultipartUpload[] {
  const dir = path.join(persistDir, "v3", "r2", "miniflare-R2BucketObject");
  if (!existsSync(dir)) return [];
  const dbs = readdirSync(dir).filter((f) => f.endsWith(".sqlite") && f !== "metadata.sqlite");
  const out: MultipartUpload[] = [];
  for (const db of dbs) {
    const query =
      "SELECT u.upload_id AS uploadId, u.key AS key, u.state AS state, " +
      "(SELECT count(*) FROM _mf_multipart_parts p WHERE p.upload_id = u.upload_id) AS parts " +
      `FROM _mf_multipart_uploads u WHERE substr(u.key, 1, ${prefix.length}) = '${prefix.replaceAll("'", "''")}' ORDER BY u.key`;
    const r = spawnSync("sqlite3", ["-readonly", "-json", path.join(dir, db), query], { encoding: "utf8" });
    if (r.status !== 0) {
      if (/no such table/.test(r.stderr)) continue; // no multipart upload was ever started
      throw new Error(`sqlite3 on ${db}: ${r.stderr}`);
    }
    const rows = (r.stdout.trim() ? JSON.parse(r.stdout) : []) as Array<{ uploadId: string; key: string; state: number; parts: number }>;
    out.push(...rows.map((row) => ({ ...row, state: STATES[row.state] ?? "in progress" })));
  }
  return out;
}
