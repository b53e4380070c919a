import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";

const get = (path: string, init?: RequestInit) => exports.default.fetch(new Request(`https://cdn.test${path}`, init));

describe("the website served by the edge", () => {
  it("serves the catalog page at / with the player script from our own origin", async () => {
    const res = await get("/");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    const html = await res.text();
    expect(html).toContain('<script src="/assets/vendor/hls.min.js"');
    expect(html).toContain('<script type="module" src="/assets/app.js">');
    expect(html).toContain('id="ad-badge"');
    // No third-party origin anywhere in the page.
    expect(html).not.toMatch(/src="https?:\/\//);
  });

  it("serves the admin page at /admin", async () => {
    const res = await get("/admin");
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain("<title>Admin · Edge Stream</title>");
    expect(html).toMatch(/<input id="token"[^>]*type="password"/);
  });

  it("serves the page scripts and the vendored hls.js with JavaScript content types", async () => {
    for (const path of ["/assets/app.js", "/assets/player.js", "/assets/ad-markers.js", "/assets/admin.js", "/assets/upload.js"]) {
      const res = await get(path);
      expect(res.status, path).toBe(200);
      expect(res.headers.get("content-type"), path).toMatch(/javascript/);
      await res.arrayBuffer();
    }
    const hls = await get("/assets/vendor/hls.min.js");
    expect(hls.status).toBe(200);
    const text = await hls.text();
    expect(text.length).toBeGreaterThan(100_000);
    expect(text).toContain('"1.7.4"');
    const css = await get("/assets/site.css");
    expect(css.headers.get("content-type")).toMatch(/^text\/css/);
    await css.arrayBuffer();
  });

  it("answers HEAD without a body and a missing file with 404", async () => {
    const head = await get("/", { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe("");
    const missing = await get("/assets/nope.js");
    expect(missing.status).toBe(404);
    await missing.arrayBuffer();
  });
});
