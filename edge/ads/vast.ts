// VAST 2.0, 3.0 and 4.x documents → plain data. Pure (text or a parsed node in, data out).
//
// Contract:
// - parseVast(xml) reads a VAST document; vastFromNode(node) a <VAST> element already parsed (VMAP embeds them).
// - A document either fails with the IAB code to report (100 not XML, 101 not VAST, 102 version) or gives
//   its ads plus its root-level <Error> URLs (VAST 3+: where "no ad" is reported).
// - Each <Ad> is an InLine (with its first linear creative: duration, MediaFiles, Tracking) or a Wrapper
//   (with its VASTAdTagURI and its own Impression/Tracking/Error URLs, merged later by the decision).
//   Non-linear and companion creatives are ignored: a stitched stream can only carry linear video.
// - Pods: ads with a `sequence` attribute form the pod, played in sequence order; ads without one are
//   stand-alone. `podOf` picks what plays: the pod when there is one, else the first stand-alone ad.
import { type XmlNode, all, attr, one, parseXml, text } from "./xml";
import { clockSeconds } from "./time";
import { VastError, type VastErrorCode } from "./errors";

export const TRACKED_EVENTS = ["start", "firstQuartile", "midpoint", "thirdQuartile", "complete"] as const;
export type TrackedEvent = (typeof TRACKED_EVENTS)[number];
export type EventUrls = Record<TrackedEvent, string[]>;

export interface MediaFile {
  url: string;
  type: string;
  delivery: "progressive" | "streaming";
  width: number;
  height: number;
  /** kbps; 0 when not given. */
  bitrate: number;
}

interface AdBase {
  id: string | null;
  /** Position in the pod (1-based), or null for a stand-alone ad. */
  sequence: number | null;
  adSystem: string;
  impressions: string[];
  errors: string[];
  tracking: EventUrls;
}
export interface InlineAd extends AdBase {
  kind: "inline";
  /** The first linear creative, or null when the ad has none. */
  linear: { duration: number | null; mediaFiles: MediaFile[] } | null;
}
export interface WrapperAd extends AdBase {
  kind: "wrapper";
  adTagUri: string;
}
export type VastAd = InlineAd | WrapperAd;

export type VastDoc = { ok: true; version: string; ads: VastAd[]; errors: string[] } | { ok: false; code: VastErrorCode; reason: string };

const VERSIONS = /^(2\.0|3\.0|4\.[0-3])(\.\d+)?$/;

export function parseVast(xml: string): VastDoc {
  const parsed = parseXml(xml);
  if (!parsed.ok) return { ok: false, code: VastError.XML_PARSE, reason: parsed.reason };
  const vast = one(parsed.root, "VAST");
  if (!vast || typeof vast !== "object") return { ok: false, code: VastError.SCHEMA, reason: "no <VAST> root element" };
  return vastFromNode(vast as XmlNode);
}

export function vastFromNode(vast: XmlNode): VastDoc {
  const version = attr(vast, "version") ?? "";
  if (!VERSIONS.test(version)) return { ok: false, code: VastError.VERSION, reason: `VAST version "${version}" is not 2.0, 3.0 or 4.x` };
  const ads: VastAd[] = [];
  for (const ad of all(vast, "Ad")) {
    const parsed = adFrom(ad);
    if (parsed) ads.push(parsed);
  }
  return { ok: true, version, ads, errors: urls(all(vast, "Error")) };
}

/** The ads that play for one answer: its pod in sequence order, or else its first stand-alone ad. */
export function podOf(ads: readonly VastAd[]): VastAd[] {
  const pod = ads.filter((a) => a.sequence !== null).sort((a, b) => a.sequence! - b.sequence!);
  if (pod.length > 0) return pod;
  return ads.slice(0, 1);
}

export const noEvents = (): EventUrls => ({ start: [], firstQuartile: [], midpoint: [], thirdQuartile: [], complete: [] });

function adFrom(ad: unknown): VastAd | null {
  const seqText = attr(ad, "sequence");
  const seq = seqText !== undefined && /^\d+$/.test(seqText) ? Number(seqText) : null;
  const base = (body: unknown): AdBase => ({
    id: attr(ad, "id") ?? null,
    sequence: seq,
    adSystem: text(one(body, "AdSystem")),
    impressions: urls(all(body, "Impression")),
    errors: urls(all(body, "Error")),
    tracking: trackingOf(linearsOf(body)),
  });
  const inline = one(ad, "InLine");
  if (inline) {
    const linear = linearsOf(inline)[0];
    return {
      kind: "inline",
      ...base(inline),
      linear: linear
        ? { duration: clockSeconds(text(one(linear, "Duration"))), mediaFiles: all(one(linear, "MediaFiles"), "MediaFile").flatMap(mediaFileOf) }
        : null,
    };
  }
  const wrapper = one(ad, "Wrapper");
  if (wrapper) {
    const adTagUri = text(one(wrapper, "VASTAdTagURI"));
    return adTagUri ? { kind: "wrapper", ...base(wrapper), adTagUri } : null;
  }
  return null;
}

function linearsOf(body: unknown): unknown[] {
  return all(one(body, "Creatives"), "Creative").flatMap((c) => all(c, "Linear"));
}

function trackingOf(linears: unknown[]): EventUrls {
  const out = noEvents();
  for (const l of linears) {
    for (const t of all(one(l, "TrackingEvents"), "Tracking")) {
      const event = attr(t, "event") as TrackedEvent | undefined;
      const url = text(t);
      if (event && (TRACKED_EVENTS as readonly string[]).includes(event) && url) out[event].push(url);
    }
  }
  return out;
}

function mediaFileOf(m: unknown): MediaFile[] {
  const url = text(m);
  const delivery = attr(m, "delivery");
  if (!url || (delivery !== "progressive" && delivery !== "streaming")) return [];
  const num = (name: string) => {
    const v = Number(attr(m, name));
    return Number.isFinite(v) && v > 0 ? v : 0;
  };
  return [{ url, type: (attr(m, "type") ?? "").toLowerCase(), delivery, width: num("width"), height: num("height"), bitrate: num("bitrate") || num("maxBitrate") }];
}

function urls(nodes: unknown[]): string[] {
  return nodes.map(text).filter((u) => u !== "");
}
