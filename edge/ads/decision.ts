// The ad server's decision for one master playlist (I/O: fetch only; no D1, no R2).
//
// Contract:
// - One VAST request per planned break, all at once, with [BREAK_POSITION]/[BREAK_TIME] of that break; if
//   the answer to the first one is a VMAP, its AdBreaks are the breaks instead (one request, "once for
//   VMAP") and the other answers are dropped. Without planned breaks, one request, used only if it is a VMAP.
// - Wrappers are followed up to MAX_WRAPPER_DEPTH deep; each wrapper's Impression, Tracking and Error URLs
//   are merged into the InLine ad's. A loop or a deeper chain is error 302.
// - The whole decision shares one AbortSignal (the caller's AbortSignal.timeout): what has not answered by
//   then is a timeout, for that break only.
// - Any failure leaves that break without ads from the server (the caller falls back) and is returned as an
//   outcome to count and, where the IAB names a code and the VAST gave <Error> URLs, as pings to send.
// - Only URLs fetchableUrl accepts are ever requested: https, or loopback http when `allowLoopback`.
import { POST_ROLL } from "../hls/ad-breaks";
import { VastError, type VastErrorCode } from "./errors";
import { type MacroValues, breakPosition, expandMacros } from "./macros";
import { type TopRendition, pickMediaFile } from "./media-file";
import { RefusedUrl, fetchChecked } from "./fetch";
import { fetchableUrl } from "./urls";
import { type EventUrls, type MediaFile, type VastAd, type VastDoc, TRACKED_EVENTS, noEvents, podOf, vastFromNode } from "./vast";
import { isVmapRoot, offsetSeconds, vmapFromRoot } from "./vmap";
import { MAX_XML_BYTES, type XmlNode, one, parseXml } from "./xml";
import { boundedBytes } from "../lib/bounded-body";

export const MAX_WRAPPER_DEPTH = 5;

export interface DecidedAd {
  /** The MediaFile conditioned for this ad (its URL identifies the creative). */
  mediaFile: MediaFile;
  duration: number | null;
  /** Every Impression, Tracking and Error URL of the InLine ad and of the wrappers before it. */
  impressions: string[];
  tracking: EventUrls;
  errors: string[];
  /** The ad server's ids, for logs and the admin. */
  vastAdId: string | null;
  adSystem: string;
}

export interface DecidedBreak {
  /** Seconds from the start, or POST_ROLL. */
  at: number;
  ads: DecidedAd[];
}

export type Outcome = "ok" | "empty" | "http" | "timeout" | "invalid" | "wrapper-limit" | "no-media" | "vmap";

export interface Decision {
  /** Breaks for which the server gave at least one playable ad. */
  breaks: DecidedBreak[];
  /** A VMAP's break positions (they replace AD_BREAKS'); null for VAST answers. */
  positions: number[] | null;
  /** One per request made (and per ad that could not be used), to log and count. */
  outcomes: Array<{ outcome: Outcome; detail: string }>;
  /** Error URLs to ping, [ERRORCODE] filled in. */
  errorPings: string[];
}

export interface DecisionInput {
  template: string;
  macros: MacroValues;
  /** AD_BREAKS for this episode (planBreakTimes). */
  times: number[];
  duration: number;
  top: TopRendition;
  allowLoopback: boolean;
  signal: AbortSignal;
  fetch?: typeof fetch;
}

type Chain = { impressions: string[]; tracking: EventUrls; errors: string[]; depth: number; seen: Set<string> };

class Failure extends Error {
  constructor(
    readonly outcome: Outcome,
    readonly code: VastErrorCode | null,
    message: string,
  ) {
    super(message);
  }
}

export async function decide(input: DecisionInput): Promise<Decision> {
  const d: Decision = { breaks: [], positions: null, outcomes: [], errorPings: [] };
  const ctx = new Ctx(input, d);
  const asked = input.times.length > 0 ? input.times : [0];
  const answers = asked.map((at) => ctx.request(ctx.adTag(at)).catch((e: unknown) => e as Failure));

  const first = await answers[0]!;
  if (!(first instanceof Failure) && isVmapRoot(first)) {
    const vmap = vmapFromRoot(first);
    if (!vmap.ok) {
      d.outcomes.push({ outcome: "invalid", detail: `VMAP: ${vmap.reason}` });
      return d;
    }
    d.outcomes.push({ outcome: "vmap", detail: `${vmap.breaks.length} breaks` });
    const order = (t: number) => (t === POST_ROLL ? Infinity : t);
    d.positions = [...new Set(vmap.breaks.flatMap((b) => offsetSeconds(b.offset, input.duration, input.times) ?? []))].sort((a, b) => order(a) - order(b));
    const breaks = await Promise.all(
      vmap.breaks.map(async (b) => {
        const at = offsetSeconds(b.offset, input.duration, input.times);
        if (at === null) return null;
        const doc = b.source.kind === "vast" ? ctx.embedded(b.source.doc) : await ctx.vastAt(expandMacros(b.source.url, ctx.macrosAt(at)), rootChain());
        return doc ? { at, ads: await ctx.pod(doc, rootChain()) } : null;
      }),
    );
    d.breaks = merge(breaks);
    return d;
  }
  if (input.times.length === 0) {
    if (!(first instanceof Failure)) d.outcomes.push({ outcome: "invalid", detail: "no AD_BREAKS: only a VMAP answer can place ads" });
    else ctx.fail(first, rootChain());
    return d;
  }
  const breaks = await Promise.all(
    asked.map(async (at, i) => {
      const answer = await answers[i]!;
      if (answer instanceof Failure) {
        ctx.fail(answer, rootChain());
        return null;
      }
      const doc = ctx.asVast(answer);
      return doc ? { at, ads: await ctx.pod(doc, rootChain()) } : null;
    }),
  );
  d.breaks = merge(breaks);
  return d;
}

const rootChain = (): Chain => ({ impressions: [], tracking: noEvents(), errors: [], depth: 0, seen: new Set() });

/** Breaks in time order (post-roll last), ads of one position together. */
function merge(breaks: Array<DecidedBreak | null>): DecidedBreak[] {
  const byAt = new Map<number, DecidedAd[]>();
  for (const b of breaks) if (b && b.ads.length) byAt.set(b.at, [...(byAt.get(b.at) ?? []), ...b.ads]);
  const order = (t: number) => (t === POST_ROLL ? Infinity : t);
  return [...byAt].sort(([a], [b]) => order(a) - order(b)).map(([at, ads]) => ({ at, ads }));
}

class Ctx {
  constructor(
    private readonly input: DecisionInput,
    private readonly d: Decision,
  ) {}

  macrosAt(at: number): MacroValues {
    return { ...this.input.macros, BREAK_POSITION: breakPosition(at, POST_ROLL), BREAK_TIME: at === POST_ROLL ? -1 : Math.round(at) };
  }

  adTag(at: number): string {
    return expandMacros(this.input.template, this.macrosAt(at));
  }

  /** The parsed XML at `url`, or a Failure. */
  async request(url: string): Promise<XmlNode> {
    const u = fetchableUrl(url, this.input.allowLoopback);
    if (!u) throw new Failure("invalid", VastError.WRAPPER, `not an https URL: ${url.slice(0, 200)}`);
    let res: Response;
    try {
      res = await fetchChecked(u.href, { signal: this.input.signal, headers: { accept: "application/xml, text/xml" } }, this.input.allowLoopback, this.input.fetch);
    } catch (e) {
      if (e instanceof RefusedUrl) throw new Failure("invalid", VastError.WRAPPER, `${u.host}: ${e.message}`);
      if (this.input.signal.aborted) throw new Failure("timeout", VastError.WRAPPER_TIMEOUT, `no answer from ${u.host} in time`);
      throw new Failure("http", VastError.WRAPPER, `${u.host}: ${String(e)}`);
    }
    if (!res.ok) {
      await res.body?.cancel();
      throw new Failure("http", VastError.WRAPPER, `${u.host} answered ${res.status}`);
    }
    let text: string;
    try {
      text = await readCapped(res, MAX_XML_BYTES);
    } catch (e) {
      if (this.input.signal.aborted) throw new Failure("timeout", VastError.WRAPPER_TIMEOUT, `${u.host}: body not read in time`);
      throw new Failure("invalid", VastError.XML_PARSE, `${u.host}: ${String(e)}`);
    }
    const parsed = parseXml(text);
    if (!parsed.ok) throw new Failure("invalid", VastError.XML_PARSE, `${u.host}: ${parsed.reason}`);
    return parsed.root;
  }

  asVast(root: XmlNode): VastDoc | null {
    const vast = one(root, "VAST");
    const doc: VastDoc = vast && typeof vast === "object" ? vastFromNode(vast as XmlNode) : { ok: false, code: VastError.SCHEMA, reason: "no <VAST> root element" };
    if (!doc.ok) {
      this.d.outcomes.push({ outcome: "invalid", detail: doc.reason });
      return null;
    }
    return doc;
  }

  /** A VAST embedded in a VMAP: counted as invalid when it is not one we read. */
  embedded(doc: VastDoc): VastDoc | null {
    if (doc.ok) return doc;
    this.d.outcomes.push({ outcome: "invalid", detail: `VMAP's embedded VAST: ${doc.reason}` });
    return null;
  }

  async vastAt(url: string, chain: Chain): Promise<VastDoc | null> {
    try {
      return this.asVast(await this.request(url));
    } catch (e) {
      if (!(e instanceof Failure)) throw e;
      this.fail(e, chain);
      return null;
    }
  }

  fail(f: Failure, chain: Chain, own: string[] = []) {
    this.d.outcomes.push({ outcome: f.outcome, detail: f.message });
    if (f.code !== null) this.ping([...chain.errors, ...own], f.code);
  }

  ping(urls: string[], code: VastErrorCode) {
    for (const u of urls) this.d.errorPings.push(expandMacros(u, { ERRORCODE: code }));
  }

  /** The playable ads of one VAST answer, wrappers resolved, in pod order. */
  async pod(doc: VastDoc, chain: Chain): Promise<DecidedAd[]> {
    if (!doc.ok) return [];
    if (doc.ads.length === 0) {
      this.d.outcomes.push({ outcome: "empty", detail: chain.depth ? "a wrapper led to an empty VAST" : "no ads" });
      // A no-bid at the top is not an error; after a wrapper it is 303.
      if (chain.depth > 0) this.ping([...chain.errors, ...doc.errors], VastError.WRAPPER_EMPTY);
      return [];
    }
    const ads = await Promise.all(podOf(doc.ads).map((ad) => this.resolve(ad, chain)));
    return ads.flat();
  }

  private async resolve(ad: VastAd, parent: Chain): Promise<DecidedAd[]> {
    const chain: Chain = {
      impressions: [...parent.impressions, ...ad.impressions],
      tracking: mergeEvents(parent.tracking, ad.tracking),
      errors: [...parent.errors, ...ad.errors],
      depth: parent.depth,
      seen: parent.seen,
    };
    if (ad.kind === "wrapper") {
      if (chain.depth >= MAX_WRAPPER_DEPTH) {
        this.fail(new Failure("wrapper-limit", VastError.WRAPPER_LIMIT, `more than ${MAX_WRAPPER_DEPTH} wrappers`), chain);
        return [];
      }
      if (chain.seen.has(ad.adTagUri)) {
        this.fail(new Failure("wrapper-limit", VastError.WRAPPER_LIMIT, `wrapper loop at ${ad.adTagUri.slice(0, 200)}`), chain);
        return [];
      }
      const next: Chain = { ...chain, depth: chain.depth + 1, seen: new Set([...chain.seen, ad.adTagUri]) };
      const doc = await this.vastAt(expandMacros(ad.adTagUri, {}), next);
      return doc ? this.pod(doc, next) : [];
    }
    if (!ad.linear) {
      this.fail(new Failure("no-media", VastError.LINEAR, `ad ${ad.id ?? "?"} has no linear creative`), chain);
      return [];
    }
    const mediaFile = pickMediaFile(ad.linear.mediaFiles, this.input.top, this.input.allowLoopback);
    if (!mediaFile) {
      this.fail(new Failure("no-media", VastError.MEDIA_UNSUPPORTED, `ad ${ad.id ?? "?"}: no progressive mp4/webm MediaFile at an https URL`), chain);
      return [];
    }
    this.d.outcomes.push({ outcome: "ok", detail: `ad ${ad.id ?? "?"} (${ad.adSystem}) at depth ${chain.depth}` });
    return [{ mediaFile, duration: ad.linear.duration, impressions: chain.impressions, tracking: chain.tracking, errors: chain.errors, vastAdId: ad.id, adSystem: ad.adSystem }];
  }
}

function mergeEvents(a: EventUrls, b: EventUrls): EventUrls {
  const out = noEvents();
  for (const e of TRACKED_EVENTS) out[e] = [...a[e], ...b[e]];
  return out;
}

/** The body as text, refused past `max` bytes (from Content-Length, or while reading). */
async function readCapped(res: Response, max: number): Promise<string> {
  const bytes = await boundedBytes(res, max);
  if (!bytes) throw new Error(`answer over ${max} bytes`);
  return new TextDecoder().decode(bytes);
}
