// Which URLs from an ad server the edge will fetch or ping. Nothing an ad server says becomes anything
// but one of these: never a path, a key or an ffmpeg input; only https (or, for local tests and
// development, plain http to a loopback address when the caller allows it).

export { fetchableUrl, isLoopback } from "../../schema/urls";

/** A creative's key: the SHA-256 of its MediaFile URL, hex (Web Crypto: the edge and Node alike). */
export async function urlHash(url: string): Promise<string> {
  const d = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(url));
  return [...new Uint8Array(d)].map((b) => b.toString(16).padStart(2, "0")).join("");
}
