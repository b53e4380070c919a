import { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../env";
import { describeZodError } from "./errors";
import { refuse } from "./responses";

/** A resource app whose zod validation failures answer 400 `{"reason"}` naming the field. */
export function resourceApp() {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result, c) => {
      if (!result.success) {
        return refuse(c, 400, describeZodError(result.target, result.error));
      }
    },
  });
}
