// Fetching what an ad server names: every hop of a redirect is checked like the first URL (fetchableUrl),
// so a redirect cannot lead the edge to plain http or anywhere else the rule refuses.
import { fetchableUrl } from "./urls";

export const MAX_REDIRECTS = 3;

export class RefusedUrl extends Error {}

/** GET `url` following at most MAX_REDIRECTS redirects, each one checked. Throws RefusedUrl for a refused hop. */
export async function fetchChecked(url: string, init: { signal: AbortSignal; headers?: Record<string, string> }, allowLoopback: boolean, f: typeof fetch = fetch): Promise<Response> {
  let u = fetchableUrl(url, allowLoopback);
  if (!u) throw new RefusedUrl(`not an https URL: ${url.slice(0, 200)}`);
  for (let hop = 0; ; hop++) {
    const res = await f(u, { ...init, redirect: "manual" });
    if (res.status < 300 || res.status >= 400 || !res.headers.has("location")) return res;
    await res.body?.cancel();
    if (hop >= MAX_REDIRECTS) throw new RefusedUrl(`more than ${MAX_REDIRECTS} redirects`);
    let next: URL | null = null;
    try {
      next = fetchableUrl(new URL(res.headers.get("location")!, u).href, allowLoopback);
    } catch {
      next = null;
    }
    if (!next) throw new RefusedUrl(`redirected off https: ${res.headers.get("location")!.slice(0, 200)}`);
    u = next;
  }
}
