// A fake third-party ad server (not our stack): VAST and VMAP answers by path, every failure mode, media
// files, and a beacon sink that records each hit so tests can wait for beacons as events.
//
//   /vast/inline?media=URL[&id=][&beacons=BASE]      one InLine ad
//   /vast/pod?media=URL,URL[&beacons=BASE]           a pod (sequence 1, 2, …)
//   /vast/wrapper?depth=N&media=URL[&beacons=BASE]   N wrappers, then the InLine (each wrapper adds BASE/w{N})
//   /vast/loop                                       a wrapper pointing at itself
//   /vast/redirect[?to=private]                      302 to /vast/inline (same query), or to http://10.0.0.1
//   /vast/empty, /vast/invalid, /vast/html, /vast/status/{code}, /vast/slow (answers after 10 s)
//   /vmap?media=URL[&beacons=BASE]                   pre-roll (embedded VAST) + 50 % (AdTagURI) + post-roll (empty)
//   /media/{name}?bytes=N | ?file=PATH (a real video from test fixtures, by absolute path)
//   /t/...                                           beacon sink (204); GET /__hits?prefix=P&n=K waits until K hits
import { createReadStream, statSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { inlineAd, vast, vmap, wrapperAd } from "./vast-fixtures";

export interface FakeAdServer {
  url: string;
  /** Paths (with query) of every request, in arrival order. */
  hits: string[];
  close(): Promise<void>;
}

export async function startFakeAdServer(): Promise<FakeAdServer> {
  const hits: string[] = [];
  const waiters: Array<() => void> = [];
  let base = "";
  const server = http.createServer((req, res) => {
    const u = new URL(req.url ?? "/", base);
    if (u.pathname !== "/__hits") {
      hits.push(u.pathname + u.search);
      for (const w of waiters.splice(0)) w();
    }
    const q = (n: string) => u.searchParams.get(n) ?? undefined;
    const xml = (body: string, status = 200) => {
      res.writeHead(status, { "content-type": "application/xml" });
      res.end(body);
    };
    const p = u.pathname;
    const beacons = q("beacons");
    const media = q("media") ?? `${base}/media/ad.mp4`;
    if (p === "/__hits") {
      const prefix = q("prefix") ?? "";
      const n = Number(q("n") ?? 0);
      const matching = () => hits.filter((h) => h.startsWith(prefix));
      const answer = () => {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify(matching()));
      };
      if (matching().length >= n) return answer();
      const timer = setTimeout(answer, Number(q("timeout") ?? 20_000));
      const check = () => {
        if (matching().length >= n) {
          clearTimeout(timer);
          answer();
        } else waiters.push(check);
      };
      waiters.push(check);
      return;
    }
    if (p === "/vast/inline") return xml(vast([inlineAd({ id: q("id") ?? "ad-1", mediaUrl: media, beacons, duration: q("duration") })], q("version") ?? "4.2"));
    if (p === "/vast/pod") return xml(vast(media.split(",").map((m, i) => inlineAd({ id: `pod-${i + 1}`, sequence: i + 1, mediaUrl: m, beacons: beacons && `${beacons}/a${i + 1}` }))));
    if (p === "/vast/wrapper") {
      const depth = Number(q("depth") ?? 1);
      const rest = new URLSearchParams(u.searchParams);
      if (depth <= 1) {
        rest.delete("depth");
        return xml(vast([wrapperAd(`${base}/vast/inline?${rest}`, beacons && `${beacons}/w${depth}`)]));
      }
      rest.set("depth", String(depth - 1));
      return xml(vast([wrapperAd(`${base}/vast/wrapper?${rest}`, beacons && `${beacons}/w${depth}`)]));
    }
    if (p === "/vast/redirect") {
      // To the same answer at /vast/inline, or (to=private) off https to a host the edge must refuse.
      const rest = new URLSearchParams(u.searchParams);
      rest.delete("to");
      res.writeHead(302, { location: q("to") === "private" ? `http://10.0.0.1/vast?${rest}` : `/vast/inline?${rest}` });
      res.end();
      return;
    }
    if (p === "/vast/loop") return xml(vast([wrapperAd(`${base}/vast/loop`, beacons)]));
    if (p === "/vast/empty") return xml(vast([], "4.2", beacons && `${beacons}/nobid?code=[ERRORCODE]`));
    if (p === "/vast/wrapper-empty") return xml(vast([wrapperAd(`${base}/vast/empty`, beacons)]));
    if (p === "/vast/invalid") return xml("<VAST version='4.2'><Ad><InLine>");
    if (p === "/vast/html") return xml("<html><body>hello</body></html>");
    if (p === "/vast/no-media") return xml(vast([inlineAd({ mediaUrl: "ftp://nowhere.example/a.mp4", beacons })]));
    const status = /^\/vast\/status\/(\d{3})$/.exec(p);
    if (status) return xml("oops", Number(status[1]));
    if (p === "/vast/slow") {
      const t = setTimeout(() => xml(vast([])), 10_000);
      res.on("close", () => clearTimeout(t));
      return;
    }
    if (p === "/vmap") {
      const inner = vast([inlineAd({ id: "pre", mediaUrl: media, beacons })]);
      return xml(vmap([{ offset: "start", vast: inner }, { offset: "50%", uri: `${base}/vast/inline?id=half&media=${encodeURIComponent(media)}` }, { offset: "end", uri: `${base}/vast/empty` }]));
    }
    if (p.startsWith("/media/")) {
      const file = q("file");
      if (file) {
        res.writeHead(200, { "content-type": "video/mp4", "content-length": String(statSync(file).size) });
        createReadStream(file).pipe(res);
        return;
      }
      const n = Number(q("bytes") ?? 4096);
      res.writeHead(200, { "content-type": "video/mp4", "content-length": String(n) });
      res.end(Buffer.alloc(n, 7));
      return;
    }
    if (p.startsWith("/t/")) {
      res.writeHead(204);
      res.end();
      return;
    }
    res.writeHead(404);
    res.end();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: base,
    hits,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
