// Puts a folder of files into a running edge's R2 the way the transcoder does: signed PUTs to the
// internal objects route under one prefix grant. Used by tests and benchmarks to lay out HLS fixtures.
import { readFileSync, readdirSync } from "node:fs";
import { request as httpRequest } from "node:http";
import path from "node:path";
import { signGrant } from "../../schema/signing";

function put(url: string, body: Buffer): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    // One connection per request: wrangler dev closes idle kept-alive sockets under a pool.
    const req = httpRequest(url, { method: "PUT", agent: false, headers: { "Content-Length": String(body.length) } }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => (text += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

/** Every file under `local` stored at `prefix` + its relative path, eight at a time. */
export async function storeDir(edgeUrl: string, secret: string, local: string, prefix: string): Promise<void> {
  const token = await signGrant(secret, { m: "PUT", p: prefix, e: Math.floor(Date.now() / 1000) + 3600, s: 10 * 1024 * 1024 });
  const queue = readdirSync(local, { recursive: true, withFileTypes: true }).filter((d) => d.isFile());
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      for (let d = queue.shift(); d; d = queue.shift()) {
        const file = path.join(d.parentPath, d.name);
        const key = prefix + path.relative(local, file).split(path.sep).join("/");
        const res = await put(`${edgeUrl}/api/v1/internal/objects/${key}?token=${token}`, readFileSync(file));
        if (res.status !== 201) throw new Error(`PUT ${key} → ${res.status} ${res.text}`);
      }
    }),
  );
}
