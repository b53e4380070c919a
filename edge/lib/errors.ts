import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { z } from "zod";

/** Thrown from deep inside a handler; rendered by the app's onError as `{"reason"}` (lib/responses.ts). */
export class ApiError extends HTTPException {
  constructor(status: ContentfulStatusCode, text: string) {
    super(status, { message: text });
  }
}

/** Names each bad field, e.g. `query.limit: Too big: expected number to be <=100`. */
export function describeZodError(where: string, error: z.ZodError): string {
  // Checks that all run on a bad value may say the same thing twice; say it once.
  const lines = error.issues.map((i) => `${[where, ...i.path.map(String)].join(".")}: ${i.message}`);
  return [...new Set(lines)].join("; ");
}
