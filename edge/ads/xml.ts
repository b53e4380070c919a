// fast-xml-parser behind one door (Workers have no DOMParser): namespaces dropped, attributes as "@_name",
// every value a string, CDATA folded into text. Documents with a DOCTYPE are refused outright: an ad server
// has no use for one and entity expansion is how XML bombs work.
import { XMLParser, XMLValidator } from "fast-xml-parser";

export type XmlNode = Record<string, unknown>;
export type XmlResult = { ok: true; root: XmlNode } | { ok: false; reason: string };

/** Ad answers larger than this are refused before parsing (a VAST with a pod is a few KiB). */
export const MAX_XML_BYTES = 512 * 1024;

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: "@_",
  removeNSPrefix: true,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  processEntities: true,
  htmlEntities: false,
});

export function parseXml(text: string): XmlResult {
  if (text.length > MAX_XML_BYTES) return { ok: false, reason: "document too large" };
  if (/<!DOCTYPE|<!ENTITY/i.test(text)) return { ok: false, reason: "DOCTYPE not allowed" };
  const valid = XMLValidator.validate(text);
  if (valid !== true) return { ok: false, reason: `not well-formed XML: ${valid.err.msg} (line ${valid.err.line})` };
  try {
    return { ok: true, root: parser.parse(text) as XmlNode };
  } catch (e) {
    return { ok: false, reason: `not well-formed XML: ${String(e)}` };
  }
}

/** A child that may occur once or many times, as a list. */
export function all(node: unknown, name: string): unknown[] {
  if (!node || typeof node !== "object") return [];
  const v = (node as XmlNode)[name];
  return v === undefined || v === null ? [] : Array.isArray(v) ? v : [v];
}

export function one(node: unknown, name: string): unknown {
  return all(node, name)[0];
}

/** The text of an element (with or without attributes). */
export function text(node: unknown): string {
  if (typeof node === "string") return node.trim();
  if (node && typeof node === "object") {
    const t = (node as XmlNode)["#text"];
    if (typeof t === "string") return t.trim();
  }
  return "";
}

export function attr(node: unknown, name: string): string | undefined {
  if (!node || typeof node !== "object") return undefined;
  const v = (node as XmlNode)[`@_${name}`];
  return typeof v === "string" ? v.trim() : undefined;
}
