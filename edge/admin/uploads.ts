// Signed multipart uploads for sources too large for one request: an R2 multipart upload whose
// parts the client PUTs through signed URLs (resumable: the parts received are kept with their
// etags), then "complete" registers the source exactly as the form upload does.
import { createRoute, z } from "@hono/zod-openapi";
import { and, asc, eq } from "drizzle-orm";
import type { DrizzleD1Database } from "drizzle-orm/d1";
import { EpisodeName, FilmId, RouteName } from "../../schema/ids";
import { verifyGrant, signGrant } from "../../schema/signing";
import { uploadParts, uploads } from "../../schema/tables";
import { config } from "../config";
import type { Env } from "../env";
import { type JobTarget, filmExists, registerJob, sourceKeyFor } from "../jobs";
import { ApiError } from "../lib/errors";
import { requireSigningSecret } from "../lib/secrets";
import { resourceApp } from "../lib/openapi";
import { adminSecurity, refuse, refused } from "../lib/responses";
import { SNIFF_BYTES, sniffVideo } from "../lib/sniff";
import { abandonUpload, forgetUpload } from "./expired-uploads";

const MiB = 1024 * 1024;
export const MIN_PART_BYTES = 8 * MiB;
export const MAX_PART_BYTES = 64 * MiB;
export const DEFAULT_PART_BYTES = 16 * MiB;
/** R2's limit on the parts of one multipart upload. */
const MAX_PARTS = 10_000;

const security = adminSecurity;
const tags = ["admin"];

const UploadTarget = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("episode"), filmId: FilmId, route: RouteName, episode: EpisodeName, state: z.string().max(200).optional() }),
  z.object({
    kind: z.literal("ad"),
    adType: z.literal("FILM"),
    expiresAt: z.iso.datetime({ offset: true }).refine((t) => Date.parse(t) > Date.now(), "must be in the future"),
  }),
]);

const CreateUpload = z
  .object({
    target: UploadTarget,
    size: z.number().int().positive(),
    contentType: z
      .string()
      .regex(/^[\w.+-]+\/[\w.+-]+$/, "a MIME type such as video/mp4")
      .max(100),
    partSize: z.number().int().min(MIN_PART_BYTES).max(MAX_PART_BYTES).default(DEFAULT_PART_BYTES),
  })
  .refine((b) => Math.ceil(b.size / b.partSize) <= MAX_PARTS, { path: ["size"], message: `needs more than ${MAX_PARTS} parts: use a larger partSize` })
  .openapi("CreateUpload");

/** What an upload row stores as its target: the ids it will use are fixed when it is created. */
type StoredTarget = JobTarget & { jobId: string };

const PartUrl = z.object({ number: z.number(), url: z.string() });
const Part = z.object({ number: z.number(), size: z.number(), etag: z.string() });
const UploadView = z
  .object({
    id: z.string(),
    key: z.string(),
    status: z.enum(["open", "completed"]),
    size: z.number(),
    partSize: z.number(),
    partCount: z.number(),
    expiresAt: z.string(),
    parts: z.array(Part),
    /** Fresh signed URLs of the parts not received yet. */
    pending: z.array(PartUrl),
    jobId: z.string().optional(),
  })
  .openapi("Upload");

const IdParam = z.object({ id: z.uuid() });

/** The key a part's grant names: not an object key, just what binds a token to one part. */
const partGrantKey = (id: string, n: number) => `uploads/${id}/parts/${n}`;
const partCount = (u: { size: number; partSize: number }) => Math.ceil(u.size / u.partSize);
const expectedPartSize = (u: { size: number; partSize: number }, n: number) =>
  n < partCount(u) ? u.partSize : u.size - (partCount(u) - 1) * u.partSize;

async function partUrls(env: Env, u: { id: string; partSize: number; expiresAt: number }, numbers: number[]) {
  const secret = requireSigningSecret(env);
  const e = Math.floor(u.expiresAt / 1000);
  return Promise.all(
    numbers.map(async (n) => ({
      number: n,
      url: `${config(env).publicBaseUrl}/api/v1/admin/uploads/${u.id}/parts/${n}?token=${await signGrant(secret, { u: "upload-part", m: "PUT", k: partGrantKey(u.id, n), e, s: u.partSize })}`,
    })),
  );
}

async function loadUpload(db: DrizzleD1Database, id: string) {
  const row = await db.select().from(uploads).where(eq(uploads.id, id)).get();
  if (!row) throw new ApiError(404, `upload ${id} not found`);
  return { ...row, target: row.target as StoredTarget };
}

async function view(env: Env, db: DrizzleD1Database, row: Awaited<ReturnType<typeof loadUpload>>): Promise<z.infer<typeof UploadView>> {
  const parts = await db
    .select({ number: uploadParts.partNumber, size: uploadParts.size, etag: uploadParts.etag })
    .from(uploadParts)
    .where(eq(uploadParts.uploadId, row.id))
    .orderBy(asc(uploadParts.partNumber))
    .all();
  const have = new Set(parts.filter((p) => p.size === expectedPartSize(row, p.number)).map((p) => p.number));
  const missing = Array.from({ length: partCount(row) }, (_, i) => i + 1).filter((n) => !have.has(n));
  return {
    id: row.id,
    key: row.key,
    status: row.status,
    size: row.size,
    partSize: row.partSize,
    partCount: partCount(row),
    expiresAt: new Date(row.expiresAt).toISOString(),
    parts,
    pending: row.status === "open" ? await partUrls(env, row, missing) : [],
    ...(row.status === "completed" ? { jobId: row.target.jobId } : {}),
  };
}

export const adminUploads = resourceApp()
  .openapi(
    createRoute({
      method: "post",
      path: "/api/v1/admin/uploads",
      tags,
      security,
      summary: "Start a signed multipart upload of an episode source or a FILM ad",
      request: { body: { required: true, content: { "application/json": { schema: CreateUpload } } } },
      responses: {
        201: {
          description: "the upload and a signed URL per part",
          content: {
            "application/json": {
              schema: z.object({ id: z.string(), key: z.string(), partSize: z.number(), partCount: z.number(), parts: z.array(PartUrl), expiresAt: z.string() }),
            },
          },
        },
        ...refused(400, 401, 404, 503),
      },
    }),
    async (c) => {
      const body = c.req.valid("json");
      requireSigningSecret(c.env);
      const db = c.var.db;
      const jobId = crypto.randomUUID();
      let target: StoredTarget;
      if (body.target.kind === "episode") {
        const t = body.target;
        if (!(await filmExists(db, t.filmId))) return refuse(c, 404, `target.filmId: film ${t.filmId} not found`);
        target = { kind: "episode", filmId: t.filmId, route: t.route, episode: t.episode, ...(t.state !== undefined ? { state: t.state } : {}), jobId };
      } else {
        target = { kind: "ad", adId: crypto.randomUUID(), expiresAt: Date.parse(body.target.expiresAt), jobId };
      }
      const id = crypto.randomUUID();
      const key = sourceKeyFor(target, jobId);
      const now = Date.now();
      const expiresAt = now + config(c.env).uploadUrlTtlSeconds * 1000;
      const mp = await c.env.MEDIA.createMultipartUpload(key, { httpMetadata: { contentType: body.contentType } });
      await db.insert(uploads).values({
        id,
        r2UploadId: mp.uploadId,
        key,
        target,
        size: body.size,
        partSize: body.partSize,
        contentType: body.contentType,
        createdAt: now,
        expiresAt,
      });
      const count = partCount(body);
      const parts = await partUrls(c.env, { id, partSize: body.partSize, expiresAt }, Array.from({ length: count }, (_, i) => i + 1));
      return c.json({ id, key, partSize: body.partSize, partCount: count, parts, expiresAt: new Date(expiresAt).toISOString() }, 201);
    },
  )
  .openapi(
    createRoute({
      method: "put",
      path: "/api/v1/admin/uploads/{id}/parts/{n}",
      tags,
      summary: "Store one part (the signed token in the URL is the credential; no bearer)",
      request: {
        params: z.object({ id: z.uuid(), n: z.coerce.number().int().min(1).max(MAX_PARTS) }),
        query: z.object({ token: z.string().optional() }),
      },
      responses: { 200: { description: "stored", content: { "application/json": { schema: Part } } }, ...refused(400, 403, 404, 409, 411, 413, 503) },
    }),
    async (c) => {
      const { id, n } = c.req.valid("param");
      const check = await verifyGrant(requireSigningSecret(c.env), c.req.valid("query").token, { purpose: "upload-part", method: "PUT", key: partGrantKey(id, n) });
      if (!check.ok) return refuse(c, 403, check.reason);
      // A part grant lives only as long as its upload is open: completed and aborted uploads take no more parts.
      const row = await c.var.db.select().from(uploads).where(eq(uploads.id, id)).get();
      if (!row) return refuse(c, 403, `token: upload ${id} no longer exists (aborted, discarded or never made)`);
      if (row.status !== "open") return refuse(c, 403, `token: upload ${id} is ${row.status}`);
      if (n > partCount(row)) return refuse(c, 400, `n: upload ${id} has ${partCount(row)} parts`);
      const declared = c.req.header("content-length");
      if (declared === undefined) return refuse(c, 411, "Content-Length: required");
      const length = Number(declared);
      if (length > (check.grant.s ?? row.partSize)) return refuse(c, 413, `Content-Length: more than the part size ${row.partSize}`);
      const want = expectedPartSize(row, n);
      if (length !== want) return refuse(c, 400, `Content-Length: part ${n} must be ${want} bytes, not ${declared}`);
      const body = c.req.raw.body;
      if (!body) return refuse(c, 400, "body: missing");
      let part: R2UploadedPart;
      try {
        part = await c.env.MEDIA.resumeMultipartUpload(row.key, row.r2UploadId).uploadPart(n, body);
      } catch (e) {
        return refuse(c, 409, `part ${n} not stored: ${String(e)}`);
      }
      const values = { uploadId: id, partNumber: n, size: length, etag: part.etag, uploadedAt: Date.now() };
      await c.var.db
        .insert(uploadParts)
        .values(values)
        .onConflictDoUpdate({ target: [uploadParts.uploadId, uploadParts.partNumber], set: { size: length, etag: part.etag, uploadedAt: values.uploadedAt } });
      return c.json({ number: n, size: length, etag: part.etag }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/api/v1/admin/uploads/{id}",
      tags,
      security,
      summary: "The parts received so far (to resume) and fresh URLs for the rest",
      request: { params: IdParam },
      responses: { 200: { description: "the upload", content: { "application/json": { schema: UploadView } } }, ...refused(400, 401, 404) },
    }),
    async (c) => {
      const row = await loadUpload(c.var.db, c.req.valid("param").id);
      return c.json(await view(c.env, c.var.db, row), 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/api/v1/admin/uploads/{id}/complete",
      tags,
      security,
      summary: "Assemble the parts, then register the source and queue its job (as the form upload does)",
      request: { params: IdParam },
      responses: {
        200: {
          description: "the source is stored and its job queued (a repeated call answers the same)",
          content: { "application/json": { schema: z.object({ id: z.string(), key: z.string(), size: z.number(), jobId: z.string(), adId: z.string().optional() }) } },
        },
        ...refused(400, 401, 404, 409, 415, 503),
      },
    }),
    async (c) => {
      const db = c.var.db;
      const row = await loadUpload(db, c.req.valid("param").id);
      const target = row.target;
      const answer = { id: row.id, key: row.key, size: row.size, jobId: target.jobId, ...(target.kind === "ad" ? { adId: target.adId } : {}) };
      if (row.status === "completed") return c.json(answer, 200);

      const parts = await db.select().from(uploadParts).where(eq(uploadParts.uploadId, row.id)).orderBy(asc(uploadParts.partNumber)).all();
      const byNumber = new Map(parts.map((p) => [p.partNumber, p]));
      const missing: number[] = [];
      for (let n = 1; n <= partCount(row); n++) if (byNumber.get(n)?.size !== expectedPartSize(row, n)) missing.push(n);
      if (missing.length > 0) {
        return refuse(c, 409, `parts missing: ${missing.slice(0, 20).join(", ")}${missing.length > 20 ? ", …" : ""}`);
      }

      try {
        await c.env.MEDIA.resumeMultipartUpload(row.key, row.r2UploadId).complete(parts.map((p) => ({ partNumber: p.partNumber, etag: p.etag })));
      } catch (e) {
        // A repeat after a completion whose answer was lost: the object is already whole.
        const head = await c.env.MEDIA.head(row.key);
        if (head?.size !== row.size) return refuse(c, 409, `could not assemble the parts: ${String(e)}`);
      }

      const first = await c.env.MEDIA.get(row.key, { range: { offset: 0, length: Math.min(SNIFF_BYTES, row.size) } });
      const head = first ? new Uint8Array(await first.arrayBuffer()) : new Uint8Array(0);
      if (!sniffVideo(head)) {
        await c.env.MEDIA.delete(row.key);
        await forgetUpload(db, row.id);
        return refuse(c, 415, "file: not a video (MP4, MOV, MKV, WebM, MPEG-TS, AVI or FLV), recognised by content; the upload was discarded");
      }

      const { jobId, ...source } = target;
      try {
        await registerJob(c.env, db, c.executionCtx, source as JobTarget, jobId, [
          db.update(uploads).set({ status: "completed" }).where(and(eq(uploads.id, row.id), eq(uploads.status, "open"))),
          db.delete(uploadParts).where(eq(uploadParts.uploadId, row.id)),
        ]);
      } catch (e) {
        if (e instanceof ApiError && e.status === 404) {
          // The film went away while the parts arrived: nothing can use this source.
          await c.env.MEDIA.delete(row.key);
          await forgetUpload(db, row.id);
        }
        throw e;
      }
      return c.json(answer, 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/api/v1/admin/uploads/{id}/abort",
      tags,
      security,
      summary: "Abandon an upload: frees its parts; no episode or ad is created",
      request: { params: IdParam },
      responses: { 200: { description: "aborted", content: { "application/json": { schema: z.object({ id: z.string(), aborted: z.literal(true) }) } } }, ...refused(400, 401, 404, 409) },
    }),
    async (c) => {
      const db = c.var.db;
      const row = await loadUpload(db, c.req.valid("param").id);
      if (row.status !== "open") return refuse(c, 409, `upload ${row.id} is already ${row.status}`);
      await abandonUpload(db, c.env.MEDIA, row);
      return c.json({ id: row.id, aborted: true as const }, 200);
    },
  );
