import { z } from "@hono/zod-openapi";

export const Reason = z.object({ reason: z.string() }).openapi("Reason");

type Refusal = { description: string; content: { "application/json": { schema: typeof Reason } } };

/** OpenAPI entries for the `{"reason"}` answers of a route, keyed by status (typed, so handlers may return them). */
export function refused<const C extends readonly number[]>(...codes: C): { [K in C[number]]: Refusal } {
  return Object.fromEntries(codes.map((code) => [code, { description: "refused", content: { "application/json": { schema: Reason } } }])) as {
    [K in C[number]]: Refusal;
  };
}

/** Documents the admin bearer token on a route (edge/lib/auth.ts enforces it). */
export const adminSecurity = [{ adminBearer: [] as string[] }];
