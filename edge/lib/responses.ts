// The one error answer of the API, `{"reason": "..."}` with a status that says what went wrong:
// the body, its OpenAPI component (registered once, as "Reason") and the route documentation of it.
import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";

export const Reason = z.object({ reason: z.string() }).openapi("Reason");

/** Answers `{"reason"}` from a handler or middleware (typed by status, so an OpenAPI route accepts it). */
export function refuse<S extends ContentfulStatusCode>(c: Context, status: S, reason: string, headers?: Record<string, string>) {
  return c.json({ reason }, status, headers);
}

/** The same answer where there is no Context (an R2 object served as a plain Response). */
export function reasonResponse(status: number, reason: string, headers: HeadersInit = {}): Response {
  const h = new Headers(headers);
  h.set("Content-Type", "application/json");
  return new Response(JSON.stringify({ reason }), { status, headers: h });
}

type ReasonDoc = { description: string; content: { "application/json": { schema: typeof Reason } } };

/** The OpenAPI entry of one `{"reason"}` answer. */
export const reasonDoc = (description: string): ReasonDoc => ({ description, content: { "application/json": { schema: Reason } } });

/** OpenAPI entries for the `{"reason"}` answers of a route, keyed by status. */
export function refused<const C extends readonly number[]>(...codes: C): { [K in C[number]]: ReasonDoc } {
  return Object.fromEntries(codes.map((code) => [code, reasonDoc("refused")])) as { [K in C[number]]: ReasonDoc };
}

/** Documents the admin bearer token on a route (edge/lib/auth.ts enforces it). */
export const adminSecurity = [{ adminBearer: [] as string[] }];
