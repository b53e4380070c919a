// One HTTP request on a connection of its own. `wrangler dev` closes kept-alive connections that sat
// idle, and a pooled client may write the next request on one of those; a fresh connection per
// request cannot be stale. (The admin client retries such requests instead; this is for the raw
// uploads and hostile requests of the tests and benches.)
import { request as httpRequest } from "node:http";

export interface RawAnswer {
  status: number;
  text: string;
}

export function requestOnce(url: string | URL, opts: { method?: string; headers?: Record<string, string>; body?: Buffer | string } = {}): Promise<RawAnswer> {
  const body = opts.body === undefined ? undefined : Buffer.from(opts.body);
  const headers: Record<string, string> = { ...opts.headers };
  if (body) headers["content-length"] = String(body.length);
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: opts.method ?? "GET", headers, agent: false }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => (text += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on("error", reject);
    req.end(body);
  });
}
