// HLS attribute lists (RFC 8216 §4.2): `NAME=value,NAME="quoted, with commas",…`.
// Values are kept raw (quoted strings keep their quotes) so a tag we do not rewrite comes out as it went in.

export type AttributeList = Array<[name: string, raw: string]>;

const ATTRIBUTE = /([A-Z0-9-]+)=("[^"]*"|[^,]*)/g;

export function parseAttributes(text: string): AttributeList {
  const out: AttributeList = [];
  ATTRIBUTE.lastIndex = 0;
  for (let m = ATTRIBUTE.exec(text); m; m = ATTRIBUTE.exec(text)) out.push([m[1]!, m[2]!]);
  return out;
}

/** The value of an attribute, unquoted; undefined when absent. */
export function attr(list: AttributeList, name: string): string | undefined {
  for (const [n, v] of list) if (n === name) return v.startsWith('"') && v.endsWith('"') && v.length >= 2 ? v.slice(1, -1) : v;
  return undefined;
}

export function serializeAttributes(list: AttributeList): string {
  return list.map(([n, v]) => `${n}=${v}`).join(",");
}

export function quoted(value: string): string {
  if (value.includes('"') || /[\r\n]/.test(value)) throw new Error(`attribute value cannot be quoted: ${value}`);
  return `"${value}"`;
}
