// mongoexport's output: one Extended JSON v2 document per line, relaxed (the default) or canonical
// (--jsonFormat=canonical). Both become plain values: dates → epoch ms, $numberInt/$numberLong/$numberDouble
// → number, $oid → its hex string. Anything else wrapped in `$…` is kept as an object and fails validation.
import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";

export class EjsonError extends Error {}

/** A parsed line, or why it could not be read. `line` is 1-based. */
export type ExportLine = { line: number; value: unknown } | { line: number; error: string };

function number(text: unknown, what: string): number {
  if (typeof text !== "string" || !/^-?\d+(\.\d+)?([eE][-+]?\d+)?$|^(-?Infinity|NaN)$/.test(text)) throw new EjsonError(`${what}: not a number`);
  const n = Number(text);
  if (what !== "$numberDouble" && !Number.isSafeInteger(n)) throw new EjsonError(`${what}: ${text} is not a safe integer`);
  return n;
}

/** Dates are epoch ms in both forms: `{"$date":"…Z"}` (relaxed, 1970–9999) or `{"$date":{"$numberLong":"…"}}`. */
function date(v: unknown): number {
  if (typeof v === "string") {
    const ms = Date.parse(v);
    if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})$/.test(v) || Number.isNaN(ms)) throw new EjsonError(`$date: ${JSON.stringify(v)} is not an ISO 8601 time`);
    return ms;
  }
  if (v && typeof v === "object" && Object.keys(v).length === 1 && "$numberLong" in v) return number((v as { $numberLong: unknown }).$numberLong, "$numberLong");
  throw new EjsonError("$date: neither an ISO time nor {$numberLong}");
}

export function fromEjson(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(fromEjson);
  if (v === null || typeof v !== "object") return v;
  const o = v as Record<string, unknown>;
  const names = Object.keys(o);
  if (names.length === 1) {
    const [k] = names as [string];
    const inner = o[k];
    switch (k) {
      case "$oid":
        if (typeof inner !== "string" || !/^[0-9a-f]{24}$/i.test(inner)) throw new EjsonError("$oid: not 24 hex digits");
        return inner.toLowerCase();
      case "$date":
        return date(inner);
      case "$numberInt":
      case "$numberLong":
      case "$numberDouble":
        return number(inner, k);
    }
  }
  return Object.fromEntries(names.map((k) => [k, fromEjson(o[k])]));
}

/** Lines of an export file, each parsed; an unreadable line is reported, not fatal. Blank lines are skipped. */
export async function* readExport(file: string): AsyncGenerator<ExportLine> {
  const lines = createInterface({ input: createReadStream(file, { encoding: "utf8" }), crlfDelay: Infinity });
  let n = 0;
  for await (const text of lines) {
    n++;
    if (text.trim() === "") continue;
    try {
      yield { line: n, value: fromEjson(JSON.parse(text)) };
    } catch (e) {
      yield { line: n, error: e instanceof SyntaxError ? `not JSON: ${e.message}` : (e as Error).message };
    }
  }
}

/** The creation time an ObjectId carries (its first 4 bytes, seconds). */
export function objectIdTime(oid: string): number {
  return parseInt(oid.slice(0, 8), 16) * 1000;
}
