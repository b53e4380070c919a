// A small m3u8 parser for what this service stitches and serves: VOD media playlists (MPEG-TS or fMP4,
// byte ranges, keys, init sections) and master playlists. No I/O, no Workers APIs.
//
// A media playlist is parsed once per (immutable) object and then reused by many stitched playlists, so
// parsing does the expensive work up front: URIs are resolved to object keys, implicit byte-range offsets
// are made explicit, and each segment's unchanging lines are pre-rendered into `head`.

import { type AttributeList, attr, parseAttributes, quoted, serializeAttributes } from "./attributes";
import { uriResolver } from "./uri";

export class PlaylistError extends Error {}

export interface KeyTag {
  method: string;
  /** Resolved (object key or absolute URL); absent for METHOD=NONE. */
  uri?: string;
  /** Explicit IV as written (0x…), if any. */
  iv?: string;
  keyformat: string;
  /** Every other attribute (KEYFORMAT, KEYFORMATVERSIONS, …), raw. */
  rest: AttributeList;
}

export interface MapTag {
  /** Resolved (object key or absolute URL). */
  uri: string;
  /** Every other attribute (BYTERANGE, …), raw. */
  rest: AttributeList;
}

export interface ByteRange {
  length: number;
  offset: number;
}

export interface Segment {
  duration: number;
  /** Resolved (object key or absolute URL). */
  uri: string;
  /** Media sequence number in its own playlist; implicit AES IVs derive from it. */
  seq: number;
  /** An EXT-X-DISCONTINUITY precedes it in its own playlist. */
  discontinuity: boolean;
  /** The keys in force (empty = clear). Segments under the same EXT-X-KEY share one array. */
  keys: KeyTag[];
  /** The media initialization section in force (fMP4), shared like `keys`. */
  map: MapTag | null;
  byteRange?: ByteRange;
  /** Other tags that applied to it (PROGRAM-DATE-TIME, GAP, BITRATE, DATERANGE …), verbatim. */
  tags: string[];
  /** Pre-rendered `tags`, EXTINF and BYTERANGE lines, each ending in "\n"; the URI line follows. */
  head: string;
}

export interface MediaPlaylist {
  version: number;
  targetDuration: number;
  mediaSequence: number;
  discontinuitySequence: number;
  playlistType?: string;
  endList: boolean;
  independentSegments: boolean;
  iFramesOnly: boolean;
  /** Other playlist-level tags (EXT-X-START …), verbatim. */
  headerTags: string[];
  segments: Segment[];
  /** Sum of segment durations, seconds. */
  duration: number;
  maxSegmentDuration: number;
  usesMap: boolean;
  usesByteRange: boolean;
  usesKeys: boolean;
  /** Ad-marker tags of the source (CUE-OUT/IN, SCTE-35 …) that were dropped: this service owns ad signalling. */
  droppedCueTags: number;
}

/** Ad markers some other system put in; stitched output carries only the ones this service inserts. */
const CUE_TAGS = [
  "#EXT-X-CUE-OUT",
  "#EXT-X-CUE-OUT-CONT",
  "#EXT-X-CUE-IN",
  "#EXT-X-CUE-SPAN",
  "#EXT-X-CUE",
  "#EXT-OATCLS-SCTE35",
  "#EXT-X-SCTE35",
  "#EXT-X-SPLICEPOINT-SCTE35",
  "#EXT-X-ASSET",
];

function isCueTag(line: string): boolean {
  for (const t of CUE_TAGS) {
    if (line.startsWith(t) && (line.length === t.length || line[t.length] === ":")) return true;
  }
  return false;
}

function tagValue(line: string, tag: string): string {
  return line.slice(tag.length + 1);
}

function intValue(line: string, tag: string, at: number): number {
  const v = tagValue(line, tag).trim();
  if (!/^\d+$/.test(v)) throw new PlaylistError(`line ${at}: ${tag} needs a decimal integer, got "${v}"`);
  return Number(v);
}

/** Parses a media playlist stored at `playlistKey` (its URIs are resolved against that key). */
export function parseMediaPlaylist(text: string, playlistKey: string): MediaPlaylist {
  const lines = text.split("\n");
  if (lines[0]?.replace(/^\uFEFF/, "").trim() !== "#EXTM3U") throw new PlaylistError("line 1: not an m3u8 playlist (no #EXTM3U)");
  const resolveUri = uriResolver(playlistKey);

  const pl: MediaPlaylist = {
    version: 1,
    targetDuration: 0,
    mediaSequence: 0,
    discontinuitySequence: 0,
    endList: false,
    independentSegments: false,
    iFramesOnly: false,
    headerTags: [],
    segments: [],
    duration: 0,
    maxSegmentDuration: 0,
    usesMap: false,
    usesByteRange: false,
    usesKeys: false,
    droppedCueTags: 0,
  };

  let keys: KeyTag[] = [];
  let map: MapTag | null = null;
  let extinf: { duration: number; line: string } | null = null;
  let range: ByteRange | undefined;
  let discontinuity = false;
  let pendingTags: string[] = [];
  let lastRange: { uri: string; end: number } | null = null;
  let seq = -1;

  for (let i = 1; i < lines.length; i++) {
    const raw = lines[i]!;
    // Trimming allocates; most lines have nothing to trim.
    const line = raw.length > 0 && raw.charCodeAt(0) > 32 && raw.charCodeAt(raw.length - 1) > 32 ? raw : raw.trim();
    if (line === "") continue;
    const at = i + 1;

    if (line.charCodeAt(0) !== 35 /* # */) {
      if (!extinf) throw new PlaylistError(`line ${at}: URI without a preceding #EXTINF`);
      if (seq < 0) seq = pl.mediaSequence;
      const uri = resolveUri(line);
      let byteRange: ByteRange | undefined;
      if (range) {
        let offset = range.offset;
        if (offset < 0) {
          // No offset: the sub-range follows the previous one of the same resource (RFC 8216 §4.3.2.2).
          if (!lastRange || lastRange.uri !== uri) throw new PlaylistError(`line ${at}: EXT-X-BYTERANGE without offset does not follow a range of the same URI`);
          offset = lastRange.end;
        }
        byteRange = { length: range.length, offset };
        lastRange = { uri, end: offset + range.length };
        pl.usesByteRange = true;
      } else lastRange = null;
      const head =
        (pendingTags.length ? pendingTags.join("\n") + "\n" : "") +
        extinf.line +
        "\n" +
        (byteRange ? `#EXT-X-BYTERANGE:${byteRange.length}@${byteRange.offset}\n` : "");
      pl.segments.push({ duration: extinf.duration, uri, seq, discontinuity, keys, map, byteRange, tags: pendingTags, head });
      pl.duration += extinf.duration;
      if (extinf.duration > pl.maxSegmentDuration) pl.maxSegmentDuration = extinf.duration;
      seq++;
      extinf = null;
      range = undefined;
      discontinuity = false;
      pendingTags = [];
      continue;
    }

    if (!line.startsWith("#EXT")) continue; // a comment

    if (line.startsWith("#EXTINF:")) {
      const comma = line.indexOf(",", 8);
      const durText = comma >= 0 ? line.slice(8, comma) : line.slice(8);
      const duration = Number(durText); // Number() ignores surrounding spaces
      if (durText.trim() === "" || !Number.isFinite(duration) || duration < 0) throw new PlaylistError(`line ${at}: bad #EXTINF duration "${durText.trim()}"`);
      extinf = { duration, line: comma >= 0 ? line : `${line},` };
    } else if (line.startsWith("#EXT-X-BYTERANGE:")) {
      const m = /^(\d+)(?:@(\d+))?$/.exec(tagValue(line, "#EXT-X-BYTERANGE").trim());
      if (!m) throw new PlaylistError(`line ${at}: bad #EXT-X-BYTERANGE`);
      range = { length: Number(m[1]), offset: m[2] === undefined ? -1 : Number(m[2]) };
    } else if (line === "#EXT-X-DISCONTINUITY") {
      discontinuity = true;
    } else if (line.startsWith("#EXT-X-KEY:")) {
      keys = applyKey(keys, parseKey(tagValue(line, "#EXT-X-KEY"), resolveUri, at));
      if (keys.length) pl.usesKeys = true;
    } else if (line.startsWith("#EXT-X-MAP:")) {
      const a = parseAttributes(tagValue(line, "#EXT-X-MAP"));
      const uri = attr(a, "URI");
      if (!uri) throw new PlaylistError(`line ${at}: #EXT-X-MAP without URI`);
      map = { uri: resolveUri(uri), rest: a.filter(([n]) => n !== "URI") };
      pl.usesMap = true;
    } else if (line.startsWith("#EXT-X-VERSION:")) {
      pl.version = intValue(line, "#EXT-X-VERSION", at);
    } else if (line.startsWith("#EXT-X-TARGETDURATION:")) {
      pl.targetDuration = intValue(line, "#EXT-X-TARGETDURATION", at);
    } else if (line.startsWith("#EXT-X-MEDIA-SEQUENCE:")) {
      pl.mediaSequence = intValue(line, "#EXT-X-MEDIA-SEQUENCE", at);
    } else if (line.startsWith("#EXT-X-DISCONTINUITY-SEQUENCE:")) {
      pl.discontinuitySequence = intValue(line, "#EXT-X-DISCONTINUITY-SEQUENCE", at);
    } else if (line.startsWith("#EXT-X-PLAYLIST-TYPE:")) {
      pl.playlistType = tagValue(line, "#EXT-X-PLAYLIST-TYPE").trim();
    } else if (line === "#EXT-X-ENDLIST") {
      pl.endList = true;
    } else if (line === "#EXT-X-INDEPENDENT-SEGMENTS") {
      pl.independentSegments = true;
    } else if (line === "#EXT-X-I-FRAMES-ONLY") {
      pl.iFramesOnly = true;
    } else if (line.startsWith("#EXT-X-ALLOW-CACHE")) {
      // Removed from the spec in protocol version 7; dropping it is harmless.
    } else if (line.startsWith("#EXT-X-START:")) {
      pl.headerTags.push(line);
    } else if (line.startsWith("#EXT-X-STREAM-INF") || line.startsWith("#EXT-X-MEDIA:") || line.startsWith("#EXT-X-I-FRAME-STREAM-INF")) {
      throw new PlaylistError(`line ${at}: a master playlist tag in a media playlist`);
    } else if (isCueTag(line)) {
      pl.droppedCueTags++;
    } else {
      pendingTags.push(line);
    }
  }
  if (pl.segments.length === 0) throw new PlaylistError("the playlist has no segments");
  return pl;
}

function parseKey(text: string, resolveUri: (uri: string) => string, at: number): KeyTag {
  const a = parseAttributes(text);
  const method = attr(a, "METHOD");
  if (!method) throw new PlaylistError(`line ${at}: #EXT-X-KEY without METHOD`);
  const uri = attr(a, "URI");
  if (method !== "NONE" && !uri) throw new PlaylistError(`line ${at}: #EXT-X-KEY METHOD=${method} without URI`);
  const iv = attr(a, "IV");
  if (iv !== undefined && !/^0[xX][0-9a-fA-F]{1,32}$/.test(iv)) throw new PlaylistError(`line ${at}: bad IV ${iv}`);
  return {
    method,
    uri: method === "NONE" || !uri ? undefined : resolveUri(uri),
    iv,
    keyformat: attr(a, "KEYFORMAT") ?? "identity",
    rest: a.filter(([n]) => n !== "METHOD" && n !== "URI" && n !== "IV"),
  };
}

/** A new EXT-X-KEY replaces the key of its KEYFORMAT; METHOD=NONE clears them all (RFC 8216 §4.3.2.4). */
function applyKey(current: KeyTag[], key: KeyTag): KeyTag[] {
  if (key.method === "NONE") return [];
  return [...current.filter((k) => k.keyformat !== key.keyformat), key];
}

// ---- rendering ----------------------------------------------------------------------------------

/** How the object keys of one playlist become URIs: `${base}${key}${query}` (absolute URLs stay as they are). */
export interface UriStyle {
  /** e.g. `https://cdn.example/api/v1/resource/media/` */
  base: string;
  /** e.g. `?token=…`, or "". */
  query: string;
}

export function renderUri(uri: string, style: UriStyle): string {
  // Object keys never contain ":" (isSafeKey); a scheme does.
  return uri.includes(":") ? uri : style.base + uri + style.query;
}

/** The lines of a key state; `explicitIv` is written when the implicit IV (the sequence number) would be wrong. */
export function renderKeys(keys: KeyTag[], style: UriStyle, explicitIv?: string): string {
  if (keys.length === 0) return "#EXT-X-KEY:METHOD=NONE\n";
  let out = "";
  for (const k of keys) {
    let line = `#EXT-X-KEY:METHOD=${k.method}`;
    if (k.uri !== undefined) line += `,URI=${quoted(renderUri(k.uri, style))}`;
    const iv = k.iv ?? explicitIv;
    if (iv !== undefined) line += `,IV=${iv}`;
    if (k.rest.length) line += "," + serializeAttributes(k.rest);
    out += line + "\n";
  }
  return out;
}

export function renderMap(map: MapTag, style: UriStyle): string {
  return `#EXT-X-MAP:URI=${quoted(renderUri(map.uri, style))}${map.rest.length ? "," + serializeAttributes(map.rest) : ""}\n`;
}

/** The 128-bit big-endian IV a segment would get implicitly from its media sequence number (RFC 8216 §5.2). */
export function sequenceIv(seq: number): string {
  return "0x" + seq.toString(16).padStart(32, "0");
}

// ---- master playlists ---------------------------------------------------------------------------

export interface Variant {
  uri: string;
  bandwidth: number;
  averageBandwidth?: number;
  width?: number;
  height?: number;
  codecs?: string;
  frameRate?: number;
  /** GROUP-ID of the SUBTITLES renditions that go with this variant. */
  subtitles?: string;
}

/** An EXT-X-MEDIA rendition (only what this service writes: subtitles). */
export interface MediaRendition {
  type: "SUBTITLES";
  groupId: string;
  name: string;
  language?: string;
  default: boolean;
  autoselect: boolean;
  uri: string;
}

export interface MasterPlaylist {
  version?: number;
  independentSegments: boolean;
  variants: Variant[];
  /** EXT-X-SESSION-DATA with a VALUE (serialized only). */
  sessionData?: Array<{ id: string; value: string }>;
  /** EXT-X-MEDIA renditions, before the variants that name their group. */
  media?: MediaRendition[];
}

export function serializeMaster(master: MasterPlaylist): string {
  let out = "#EXTM3U\n";
  if (master.version !== undefined) out += `#EXT-X-VERSION:${master.version}\n`;
  if (master.independentSegments) out += "#EXT-X-INDEPENDENT-SEGMENTS\n";
  for (const d of master.sessionData ?? []) out += `#EXT-X-SESSION-DATA:DATA-ID=${quoted(d.id)},VALUE=${quoted(d.value)}\n`;
  for (const m of master.media ?? []) {
    out += `#EXT-X-MEDIA:TYPE=${m.type},GROUP-ID=${quoted(m.groupId)},NAME=${quoted(m.name)}`;
    if (m.language !== undefined) out += `,LANGUAGE=${quoted(m.language)}`;
    out += `,DEFAULT=${m.default ? "YES" : "NO"},AUTOSELECT=${m.autoselect ? "YES" : "NO"},URI=${quoted(m.uri)}\n`;
  }
  for (const v of master.variants) {
    let a = `BANDWIDTH=${Math.round(v.bandwidth)}`;
    if (v.averageBandwidth !== undefined) a += `,AVERAGE-BANDWIDTH=${Math.round(v.averageBandwidth)}`;
    if (v.width !== undefined && v.height !== undefined) a += `,RESOLUTION=${v.width}x${v.height}`;
    if (v.frameRate !== undefined) a += `,FRAME-RATE=${v.frameRate.toFixed(3)}`;
    if (v.codecs !== undefined) a += `,CODECS=${quoted(v.codecs)}`;
    if (v.subtitles !== undefined) a += `,SUBTITLES=${quoted(v.subtitles)}`;
    out += `#EXT-X-STREAM-INF:${a}\n${v.uri}\n`;
  }
  return out;
}

/** Parses the variants and the subtitle renditions of a master playlist (URIs as written). */
export function parseMasterPlaylist(text: string): MasterPlaylist {
  const lines = text.split(/\r?\n/).map((l) => l.trim());
  if (lines[0]?.replace(/^\uFEFF/, "") !== "#EXTM3U") throw new PlaylistError("line 1: not an m3u8 playlist (no #EXTM3U)");
  const master: MasterPlaylist = { independentSegments: false, variants: [] };
  let pending: AttributeList | null = null;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line === "") continue;
    if (line.startsWith("#EXT-X-STREAM-INF:")) pending = parseAttributes(tagValue(line, "#EXT-X-STREAM-INF"));
    else if (line.startsWith("#EXT-X-MEDIA:")) {
      const a = parseAttributes(tagValue(line, "#EXT-X-MEDIA"));
      const [groupId, name, uri] = [attr(a, "GROUP-ID"), attr(a, "NAME"), attr(a, "URI")];
      if (attr(a, "TYPE") !== "SUBTITLES") continue;
      if (groupId === undefined || name === undefined || uri === undefined) throw new PlaylistError(`line ${i + 1}: EXT-X-MEDIA without GROUP-ID, NAME or URI`);
      (master.media ??= []).push({ type: "SUBTITLES", groupId, name, language: attr(a, "LANGUAGE"), default: attr(a, "DEFAULT") === "YES", autoselect: attr(a, "AUTOSELECT") === "YES", uri });
    } else if (line.startsWith("#EXT-X-VERSION:")) master.version = intValue(line, "#EXT-X-VERSION", i + 1);
    else if (line === "#EXT-X-INDEPENDENT-SEGMENTS") master.independentSegments = true;
    else if (line.startsWith("#EXTINF")) throw new PlaylistError(`line ${i + 1}: a media playlist tag in a master playlist`);
    else if (!line.startsWith("#")) {
      if (!pending) throw new PlaylistError(`line ${i + 1}: URI without a preceding #EXT-X-STREAM-INF`);
      const bandwidth = Number(attr(pending, "BANDWIDTH"));
      if (!Number.isFinite(bandwidth)) throw new PlaylistError(`line ${i + 1}: variant without BANDWIDTH`);
      const res = attr(pending, "RESOLUTION")?.split("x").map(Number);
      const avg = attr(pending, "AVERAGE-BANDWIDTH");
      const fr = attr(pending, "FRAME-RATE");
      master.variants.push({
        uri: line,
        bandwidth,
        averageBandwidth: avg === undefined ? undefined : Number(avg),
        width: res?.[0],
        height: res?.[1],
        codecs: attr(pending, "CODECS"),
        frameRate: fr === undefined ? undefined : Number(fr),
        ...(attr(pending, "SUBTITLES") !== undefined ? { subtitles: attr(pending, "SUBTITLES") } : {}),
      });
      pending = null;
    }
  }
  return master;
}
