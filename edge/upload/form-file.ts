// A multipart form with one file, streamed into R2 as it arrives (the type decided by the file's
// first bytes before anything is stored), plus its small text fields.
import { ApiError } from "../lib/errors";
import { BodyTooLarge, FormError, FormReader, formBoundary } from "../lib/multipart-form";
import { R2StreamWriter } from "../lib/multipart-r2";
import { SNIFF_BYTES, type Sniffed, sniff } from "../lib/sniff";
import { concatBytes } from "../lib/bounded-body";

const MAX_FIELD_BYTES = 4096;
const MAX_FIELDS = 32;

export interface StoredFile {
  key: string;
  size: number;
  sniffed: Sniffed;
}

export interface FormUpload {
  fields: Map<string, string>;
  file: StoredFile;
  /** Deletes the stored file: for a caller that refuses the upload after reading it. */
  discard(): Promise<void>;
}

export interface FilePlan {
  key: string;
  maxBytes: number;
}

/** Refuses a body whose declared length is over the limit, before reading any of it. */
export function checkContentLength(req: Request, limit: number): void {
  const declared = req.headers.get("content-length");
  if (declared !== null && Number(declared) > limit) {
    throw new ApiError(413, `body: ${declared} bytes is more than the limit of ${limit}`);
  }
}

/**
 * Reads the form. `plan` sees what the file is (and the fields read before it) and answers where
 * to store it and how large it may be, or throws an ApiError (415 for a type it does not take).
 */
export async function receiveFormFile(
  req: Request,
  bucket: R2Bucket,
  opts: { bodyLimit: number; field?: string; plan: (sniffed: Sniffed, fields: Map<string, string>) => FilePlan },
): Promise<FormUpload> {
  const field = opts.field ?? "file";
  const boundary = formBoundary(req.headers.get("content-type"));
  if (!boundary) throw new ApiError(415, "Content-Type: expected multipart/form-data with a boundary");
  checkContentLength(req, opts.bodyLimit);
  if (!req.body) throw new ApiError(400, `${field}: missing (empty body)`);

  const form = new FormReader(req.body, boundary, opts.bodyLimit);
  const fields = new Map<string, string>();
  let writer: R2StreamWriter | null = null;
  let file: StoredFile | null = null;
  try {
    for (let part = await form.next(); part; part = await form.next()) {
      if (part.name === field) {
        if (file) throw new ApiError(400, `${field}: sent more than once`);
        // Gather the first bytes to decide what this is before storing anything.
        const head: Uint8Array[] = [];
        let headBytes = 0;
        let chunk: Uint8Array | null = null;
        while (headBytes < SNIFF_BYTES && (chunk = await form.chunk())) {
          head.push(chunk);
          headBytes += chunk.length;
        }
        const first = concatBytes(head, headBytes);
        const sniffed = sniff(first);
        if (!sniffed) throw new ApiError(415, `${field}: not a file type this route takes (recognised by content, not by name or Content-Type)`);
        const plan = opts.plan(sniffed, fields);
        writer = new R2StreamWriter(bucket, plan.key, { contentType: sniffed.contentType });
        const tooLarge = () => new ApiError(413, `${field}: larger than the limit of ${plan.maxBytes} bytes`);
        if (first.length > plan.maxBytes) throw tooLarge();
        await writer.write(first);
        for (let c = await form.chunk(); c; c = await form.chunk()) {
          if (writer.size + c.length > plan.maxBytes) throw tooLarge();
          await writer.write(c);
        }
        await writer.finish();
        file = { key: plan.key, size: writer.size, sniffed };
      } else if (part.filename !== undefined) {
        // Another file field: not ours; skipped unread by the next `next()`.
        continue;
      } else {
        if (fields.size >= MAX_FIELDS) throw new ApiError(400, "body: too many form fields");
        fields.set(part.name, await form.text(MAX_FIELD_BYTES));
      }
    }
  } catch (e) {
    await writer?.discard();
    if (e instanceof FormError) throw new ApiError(400, `body: ${e.message}`);
    if (e instanceof BodyTooLarge) throw new ApiError(413, `body: larger than the limit of ${opts.bodyLimit} bytes`);
    throw e;
  }
  if (!file) throw new ApiError(400, `${field}: missing`);
  const stored = file;
  return { fields, file: stored, discard: () => bucket.delete(stored.key) };
}
