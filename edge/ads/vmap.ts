// VMAP 1.0 → ad breaks. Pure.
//
// Contract: parseVmap(xml) gives each <vmap:AdBreak> as { offset, source }: its timeOffset read as
// start / end / HH:MM:SS(.mmm) / n% / #n (the n-th break of AD_BREAKS, a position the ad server cannot
// know in seconds), and its AdSource: an embedded VAST (VASTAdData, already parsed) or a VAST URL
// (AdTagURI). Only linear breaks are kept. `offsetSeconds` turns an offset into a plan position.
import { POST_ROLL } from "../hls/ad-breaks";
import { VastError, type VastErrorCode } from "./errors";
import { type VastDoc, vastFromNode } from "./vast";
import { type XmlNode, all, attr, one, parseXml, text } from "./xml";
import { clockSeconds } from "./time";

export type BreakOffset =
  | { kind: "start" }
  | { kind: "end" }
  | { kind: "seconds"; value: number }
  | { kind: "fraction"; value: number }
  | { kind: "position"; value: number };

export type BreakSource = { kind: "vast"; doc: VastDoc } | { kind: "uri"; url: string };

export interface VmapBreak {
  id: string | null;
  offset: BreakOffset;
  source: BreakSource;
}

export type VmapDoc = { ok: true; breaks: VmapBreak[] } | { ok: false; code: VastErrorCode; reason: string };

/** Whether a parsed document is a VMAP rather than a VAST (the ad server may answer either). */
export function isVmapRoot(root: XmlNode): boolean {
  return one(root, "VMAP") !== undefined;
}

export function parseVmap(xml: string): VmapDoc {
  const parsed = parseXml(xml);
  if (!parsed.ok) return { ok: false, code: VastError.XML_PARSE, reason: parsed.reason };
  return vmapFromRoot(parsed.root);
}

export function vmapFromRoot(root: XmlNode): VmapDoc {
  const vmap = one(root, "VMAP");
  if (!vmap || typeof vmap !== "object") return { ok: false, code: VastError.SCHEMA, reason: "no <vmap:VMAP> root element" };
  if (!/^1\.0(\.\d+)?$/.test(attr(vmap, "version") ?? "")) return { ok: false, code: VastError.VERSION, reason: `VMAP version "${attr(vmap, "version") ?? ""}" is not 1.0` };
  const breaks: VmapBreak[] = [];
  for (const b of all(vmap, "AdBreak")) {
    const types = (attr(b, "breakType") ?? "linear").split(",").map((s) => s.trim());
    if (!types.includes("linear")) continue;
    const offset = parseOffset(attr(b, "timeOffset"));
    const source = sourceOf(one(b, "AdSource"));
    if (offset && source) breaks.push({ id: attr(b, "breakId") ?? null, offset, source });
  }
  return { ok: true, breaks };
}

export function parseOffset(value: string | undefined): BreakOffset | null {
  const v = (value ?? "").trim();
  if (v === "start") return { kind: "start" };
  if (v === "end") return { kind: "end" };
  const pct = /^(\d+(?:\.\d+)?)%$/.exec(v);
  if (pct) {
    const n = Number(pct[1]);
    if (n > 100) return null;
    return n === 0 ? { kind: "start" } : n === 100 ? { kind: "end" } : { kind: "fraction", value: n / 100 };
  }
  const pos = /^#(\d+)$/.exec(v);
  if (pos && Number(pos[1]) >= 1) return { kind: "position", value: Number(pos[1]) };
  const s = clockSeconds(v);
  if (s === null) return null;
  return s === 0 ? { kind: "start" } : { kind: "seconds", value: s };
}

/** Seconds from the start, or POST_ROLL; null when the content is too short for it. `planned`: AD_BREAKS' times. */
export function offsetSeconds(o: BreakOffset, duration: number, planned: readonly number[]): number | null {
  switch (o.kind) {
    case "start":
      return 0;
    case "end":
      return POST_ROLL;
    case "fraction":
      return duration > 0 ? Math.round(o.value * duration * 1000) / 1000 : null;
    case "seconds":
      return o.value < duration ? o.value : null;
    case "position":
      return planned[o.value - 1] ?? null;
  }
}

function sourceOf(src: unknown): BreakSource | null {
  if (!src) return null;
  const data = one(src, "VASTAdData") ?? one(src, "VASTData");
  const vast = one(data, "VAST");
  if (vast && typeof vast === "object") return { kind: "vast", doc: vastFromNode(vast as XmlNode) };
  const uri = text(one(src, "AdTagURI"));
  return uri ? { kind: "uri", url: uri } : null;
}
