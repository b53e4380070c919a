// The failures the worker tells apart: each decides retry or not, and what the edge is told.

/** Trying again cannot help (the job fails at once, no retries). */
export class PermanentError extends Error {
  override name = "PermanentError";
}

/** Corrupt or unsupported input. */
export class UnsupportedInputError extends PermanentError {
  override name = "UnsupportedInputError";
  constructor(
    message: string,
    /** The last lines ffmpeg/ffprobe wrote to stderr, for the edge's job record. */
    readonly stderrTail = "",
  ) {
    super(message);
  }
}

/** The source is over one of the configured caps (MAX_SOURCE_BYTES, MAX_DURATION_SECONDS, …). */
export class SourceLimitError extends PermanentError {
  override name = "SourceLimitError";
}

/**
 * A job URL that does not point at EDGE_URL's origin: whoever made it, following it would let a job
 * message aim the worker at any host (SSRF), so the job fails without fetching anything.
 */
export class ForeignUrlError extends PermanentError {
  override name = "ForeignUrlError";
}

/**
 * The edge no longer wants this job (superseded by a newer upload, deleted, or already finished):
 * stop working on it; nothing to retry.
 */
export class JobAbandonedError extends PermanentError {
  override name = "JobAbandonedError";
}

/** The process is shutting down: the job goes back to the queue untouched, not failed. */
export class ShutdownError extends Error {
  override name = "ShutdownError";
  constructor() {
    super("the worker is shutting down");
  }
}

/** The job ran past JOB_TIMEOUT_MS; ffmpeg was killed. */
export class JobTimeoutError extends Error {
  override name = "JobTimeoutError";
  constructor(ms: number) {
    super(`the job ran longer than ${ms} ms and was stopped`);
  }
}

/** ffmpeg exited with an error that does not look like bad input (killed, out of disk...). */
export class FfmpegError extends Error {
  override name = "FfmpegError";
  constructor(
    message: string,
    readonly stderrTail = "",
  ) {
    super(message);
  }
}

/** An HTTP exchange with the edge that did not succeed. */
export class HttpError extends Error {
  override name = "HttpError";
  constructor(
    readonly status: number,
    readonly what: string,
    readonly body = "",
  ) {
    super(`${what}: HTTP ${status}${body ? ` ${body.slice(0, 300)}` : ""}`);
  }
  /** 5xx, 408 and 429 are worth another try; other 4xx mean the request itself is wrong. */
  get retryable(): boolean {
    return this.status >= 500 || this.status === 408 || this.status === 429;
  }
}

/** Why an AbortSignal fired, as an Error (signal.reason may be anything). */
export function abortReason(signal: AbortSignal): Error {
  const r: unknown = signal.reason;
  return r instanceof Error ? r : new Error(String(r ?? "aborted"));
}
