import { z } from "zod";

// Validated names that end up inside object keys. Nothing from a request reaches a key unless it
// passed one of these.

export const FilmId = z.uuid();
export const AdId = z.uuid();
export const JobId = z.uuid();
/** A source/line name such as "line1". */
export const RouteName = z.string().regex(/^[A-Za-z0-9_-]{1,32}$/, "1-32 letters, digits, '-' or '_'");
/** An episode name such as "1", "12", "SP1" or "1.5". */
export const EpisodeName = z
  .string()
  .regex(/^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,31}$/, "1-32 letters, digits, '.', '-' or '_', not starting with '.'")
  .refine((s) => !s.includes(".."), "must not contain '..'");
