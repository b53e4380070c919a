// What the local D1 and R2 of a `wrangler dev` edge really hold, read from its persisted state: R2 objects
// through the R2 API (miniflare over the same directory); what the R2 API cannot list (multipart uploads in
// progress, their parts, and the blob files behind every object and part) and D1 rows from the simulator's
// own SQLite files, read-only (milliseconds, where `wrangler d1 execute` starts a whole wrangler).
// For the fault tests: "abort frees the parts" is checked where the bytes would stay.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import { Miniflare } from "miniflare";

const BUCKET = "edge-stream-media";

function sqliteJson<T>(file: string, query: string): T[] {
  const r = spawnSync("sqlite3", ["-readonly", "-json", file, query], { encoding: "utf8" });
  if (r.status !== 0) throw Object.assign(new Error(`sqlite3 on ${file}: ${r.stderr}`), { stderr: r.stderr });
  return (r.stdout.trim() ? JSON.parse(r.stdout) : []) as T[];
}

/** The SQLite files of a miniflare Durable Object namespace (one per object; metadata.sqlite is miniflare's). */
function objectDatabases(persistDir: string, kind: "d1" | "r2", namespace: string): string[] {
  const dir = path.join(persistDir, "v3", kind, namespace);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith(".sqlite") && f !== "metadata.sqlite")
    .map((f) => path.join(dir, f));
}

/** Rows of a read query on the edge's local D1 (its one database). */
export function d1Rows<T = Record<string, unknown>>(persistDir: string, query: string): T[] {
  const [db, ...more] = objectDatabases(persistDir, "d1", "miniflare-D1DatabaseObject");
  if (!db || more.length > 0) throw new Error(`expected one local D1 database under ${persistDir}`);
  return sqliteJson<T>(db, query);
}

type Listing = { objects: { key: string }[] } & ({ truncated: true; cursor: string } | { truncated: false });

/** Every key under a prefix of an R2 bucket (miniflare's), sorted. */
export async function listKeys(bucket: { list(o: { prefix: string; cursor?: string }): Promise<Listing> }, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await bucket.list({ prefix, cursor });
    keys.push(...page.objects.map((o) => o.key));
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor);
  return keys.sort();
}

/** Every object key under a prefix. */
export async function objectKeys(persistDir: string, prefix = ""): Promise<string[]> {
  const mf = new Miniflare({
    modules: true,
    script: "export default { fetch() { return new Response(null, { status: 204 }) } }",
    r2Buckets: { MEDIA: BUCKET },
    r2Persist: path.join(persistDir, "v3", "r2"),
  });
  try {
    return await listKeys(await mf.getR2Bucket("MEDIA"), prefix);
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
  const out: MultipartUpload[] = [];
  const query =
    "SELECT u.upload_id AS uploadId, u.key AS key, u.state AS state, " +
    "(SELECT count(*) FROM _mf_multipart_parts p WHERE p.upload_id = u.upload_id) AS parts " +
    `FROM _mf_multipart_uploads u WHERE substr(u.key, 1, ${prefix.length}) = '${prefix.replaceAll("'", "''")}' ORDER BY u.key`;
  for (const db of objectDatabases(persistDir, "r2", "miniflare-R2BucketObject")) {
    let rows: Array<{ uploadId: string; key: string; state: number; parts: number }>;
    try {
      rows = sqliteJson(db, query);
    } catch (e) {
      if (/no such table/.test((e as { stderr?: string }).stderr ?? "")) continue; // no multipart upload was ever started
      throw e;
    }
    out.push(...rows.map((row) => ({ ...row, state: STATES[row.state] ?? "in progress" })));
  }
  return out;
}
