import { z } from "zod";

// Validated names that end up inside object keys. Nothing from a request reaches a key unless it
// passed one of these.

export const FilmId = z.uuid();
export const AdId = z.uuid();
export const JobId = z.uuid();
/**
 * Route and episode names are shown to viewers as typed (the old site had `第1集`, `正片`, buckets such as
 * `line.1`): any text up to a length, but never a control character, a slash or a backslash, never `.` or
 * `..`, no surrounding spaces. They never reach a key raw: schema/keys.ts encodes them (keySegment).
 */
const displayName = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    // Invisible (format), unassigned and private-use characters and lone surrogates are refused, and so is
    // '%': a request's undecodable percent-encoding reaches here as raw '%xx' text.
    .regex(/^[^\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}/\\%]+$/u, "no control or invisible characters, '/', '\\' or '%'")
    .refine((s) => s !== "." && s !== "..", "must not be '.' or '..'")
    .refine((s) => s.trim() === s, "must not start or end with spaces");
/** A source/line name such as "line1" (the old system's MinIO bucket). */
export const RouteName = displayName(63);
/** An episode name such as "1", "12", "SP1", "1.5" or "第1集". */
export const EpisodeName = displayName(64);
