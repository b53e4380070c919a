import { z } from "zod";
import { JobKind, JobStatus } from "./enums";
import { SEGMENT_FORMATS, type SegmentFormat } from "./keys";

/** One output rendition of a transcode, as the master playlist advertises it. Paths are relative to the job's prefix. */
export const Rendition = z.object({
  name: z.string().min(1).max(32),
  bandwidth: z.number().int().positive(),
  averageBandwidth: z.number().int().positive().optional(),
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  codecs: z.string().min(1).max(100),
  playlist: z.string().min(1).max(200),
  /** The segments' container; absent (renditions made before fMP4 existed) = MPEG-TS. */
  container: z.enum(SEGMENT_FORMATS).optional(),
  /** Its seek previews: a WebVTT storyboard (keys.STORYBOARD_VTT), the same for every rendition of a job. */
  storyboard: z.string().min(1).max(200).optional(),
});
/** The container of a rendition's segments. */
export const containerOf = (r: Pick<Rendition, "container">): SegmentFormat => r.container ?? "ts";
export type Rendition = z.infer<typeof Rendition>;

/** Renditions as stored (a JSON column), minus any entry that does not have the shape the transcoder promised. */
export function validRenditions(stored: unknown): Rendition[] {
  if (!Array.isArray(stored)) return [];
  return stored.flatMap((r) => {
    const p = Rendition.safeParse(r);
    return p.success ? [p.data] : [];
  });
}

/**
 * One caption track of an episode as the `episodes.captions` column holds it. `version` names the stored
 * WebVTT (keys.captionKey), fresh per upload; `bytes` is that WebVTT's size; `updatedAt` epoch ms.
 */
export const CaptionEntry = z.object({
  lang: z.string().min(1).max(35),
  label: z.string().min(1).max(100),
  version: z.string().min(1).max(64),
  cues: z.number().int().nonnegative(),
  bytes: z.number().int().nonnegative(),
  format: z.enum(["vtt", "srt"]).optional(),
  updatedAt: z.number().int(),
});
export type CaptionEntry = z.infer<typeof CaptionEntry>;

/** Caption entries as stored (a JSON column), minus any that do not have the shape written. */
export function validCaptions(stored: unknown): CaptionEntry[] {
  if (!Array.isArray(stored)) return [];
  return stored.flatMap((c) => {
    const p = CaptionEntry.safeParse(c);
    return p.success ? [p.data] : [];
  });
}

/** The Queue message: what the producer (an upload) tells the transcoder. The job id is the BullMQ jobId. */
export const JobMessage = z.object({
  v: z.literal(1),
  jobId: z.uuid(),
  kind: JobKind,
  sourceKey: z.string().min(1).max(512),
  /** Every output file goes under this prefix (ends with "/"); unique per job. */
  outputPrefix: z.string().min(2).max(512).endsWith("/"),
  createdAt: z.number().int(),
});
export type JobMessage = z.infer<typeof JobMessage>;

/** Short-lived signed URLs the edge issues for one job: read the source, write under the output prefix. */
export const JobUrls = z.object({
  source: z.url(),
  /** PUT `${outputBase}${relativePath}?token=${outputToken}` for each output file. */
  outputBase: z.url(),
  outputToken: z.string().min(1),
  expiresAt: z.number().int(),
});
export type JobUrls = z.infer<typeof JobUrls>;

/** What the bridge POSTs to the transcoder's intake (`POST {TRANSCODER_URL}/jobs`). */
export const JobDelivery = JobMessage.extend({ urls: JobUrls });
export type JobDelivery = z.infer<typeof JobDelivery>;

// Transcoder → edge callbacks: POST /api/v1/internal/jobs/{id}/{progress|complete|fail}, HMAC-signed.

export const ProgressCallback = z.object({
  progress: z.number().min(0).max(1),
  attempt: z.number().int().min(1).optional(),
});
export type ProgressCallback = z.infer<typeof ProgressCallback>;

export const CompleteCallback = z.object({
  outputPrefix: z.string().min(2).endsWith("/"),
  /** Relative to outputPrefix. */
  master: z.string().min(1),
  duration: z.number().positive(),
  segmentCount: z.number().int().positive(),
  renditions: z.array(Rendition).min(1),
  /** Relative to outputPrefix: a frame at ~10 % of the duration. */
  poster: z.string().min(1).optional(),
});
export type CompleteCallback = z.infer<typeof CompleteCallback>;

export const FailCallback = z.object({
  error: z.string().min(1).max(4000),
  /** false: corrupt or unsupported input; the job will not be tried again. */
  retryable: z.boolean(),
  attempt: z.number().int().min(1).optional(),
});
export type FailCallback = z.infer<typeof FailCallback>;

/**
 * A transcode job as the admin API answers it (`GET /api/v1/admin/jobs/{id}`): its target by kind, times
 * in RFC 3339. The edge builds it (edge/admin/job-view.ts); the demo loader, the upload CLI, the tests and
 * the benches read it (scripts/harness/admin-client.ts).
 */
export const JobView = z.object({
  id: z.string(),
  kind: JobKind,
  target: z.union([z.object({ filmId: z.string(), route: z.string(), episode: z.string() }), z.object({ adId: z.string() })]),
  status: JobStatus,
  progress: z.number(),
  attempts: z.number(),
  error: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
});
export type JobView = z.infer<typeof JobView>;

/** A job that will not change any more. */
export const jobIsOver = (job: Pick<JobView, "status">): boolean => job.status === "complete" || job.status === "failed" || job.status === "superseded";
