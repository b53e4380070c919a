// Byte ranges and preconditions (RFC 9110 §13, §14) for objects served from R2. Pure: headers in, decisions out.

import { etagListMatches } from "../lib/cache";

/** What to ask R2 for: an R2Range, or the whole object. `unsatisfiable` = 416 whatever the size. */
export type RangeRequest = { kind: "none" } | { kind: "unsatisfiable" } | { kind: "range"; range: R2Range };

/**
 * A single `bytes=` range. Several ranges, other units or a malformed header are ignored (the whole
 * object, 200), as RFC 9110 §14.2 allows; only a well-formed single range that can never be satisfied is 416.
 */
export function parseRange(header: string | null | undefined): RangeRequest {
  if (!header) return { kind: "none" };
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!m) return { kind: "none" };
  const [, first, last] = m;
  if (first === "" && last === "") return { kind: "none" };
  if (first === "") {
    const suffix = Number(last);
    return suffix === 0 ? { kind: "unsatisfiable" } : { kind: "range", range: { suffix } };
  }
  const offset = Number(first);
  if (last === "") return { kind: "range", range: { offset } };
  const end = Number(last);
  if (end < offset) return { kind: "none" }; // invalid range-spec: ignored
  return { kind: "range", range: { offset, length: end - offset + 1 } };
}

/** The first and last byte a range covers in an object of `size` bytes (R2 reports the range it applied). */
export function resolvedRange(range: R2Range, size: number): { start: number; end: number } {
  if ("suffix" in range && range.suffix !== undefined) return { start: Math.max(0, size - range.suffix), end: size - 1 };
  const start = (range as { offset?: number }).offset ?? 0;
  const length = (range as { length?: number }).length;
  return { start, end: Math.min(size, length === undefined ? size : start + length) - 1 };
}

export interface Validators {
  /** Quoted, as in the ETag header. */
  etag: string;
  lastModified: Date;
}

/** RFC 9110 §13.2.2 order: If-Match, If-Unmodified-Since → 412; If-None-Match, If-Modified-Since → 304. */
export function preconditions(headers: Headers, v: Validators): 200 | 304 | 412 {
  const ifMatch = headers.get("if-match");
  if (ifMatch !== null) {
    if (!strongListMatches(ifMatch, v.etag)) return 412;
  } else {
    const ius = httpDate(headers.get("if-unmodified-since"));
    if (ius !== null && seconds(v.lastModified) > ius) return 412;
  }
  const inm = headers.get("if-none-match");
  if (inm !== null) {
    if (etagListMatches(inm, v.etag)) return 304;
  } else {
    const ims = httpDate(headers.get("if-modified-since"));
    if (ims !== null && seconds(v.lastModified) <= ims) return 304;
  }
  return 200;
}

/** If-Range: the range applies only while the representation is the one the client has. */
export function ifRangeHolds(headers: Headers, v: Validators): boolean {
  const ir = headers.get("if-range");
  if (ir === null) return true;
  if (ir.trim().startsWith('"') || ir.trim().startsWith("W/")) return ir.trim() === v.etag; // strong comparison
  const date = httpDate(ir);
  return date !== null && seconds(v.lastModified) <= date;
}

function strongListMatches(header: string, etag: string): boolean {
  if (header.trim() === "*") return true;
  return (header.match(/(?:W\/)?"[^"]*"/g) ?? []).some((t) => t === etag);
}

function httpDate(value: string | null): number | null {
  if (!value) return null;
  const t = Date.parse(value);
  return Number.isNaN(t) ? null : Math.floor(t / 1000);
}

function seconds(d: Date): number {
  return Math.floor(d.getTime() / 1000);
}
