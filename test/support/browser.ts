// Headless Chromium for end-to-end tests: Debian's `chromium` (installed by scripts/system-deps.sh
// when missing) driven by playwright-core, with a fresh profile per launch.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { type BrowserContext, type Page, chromium } from "playwright-core";
import { ROOT } from "../../scripts/harness/config";

export const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
/** Screenshots and other artifacts of the browser tests (gitignored). */
export const ARTIFACTS = path.join(ROOT, "test-results");

export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--disable-quic",
];

export interface Browser {
  context: BrowserContext;
  page: Page;
  /** Console errors and uncaught page errors, for assertions and post-mortems. */
  errors: string[];
  screenshot(name: string): Promise<string>;
  close(): Promise<void>;
}

export function ensureChromium() {
  if (existsSync(CHROMIUM)) return;
  const r = spawnSync("bash", [path.join(ROOT, "scripts/system-deps.sh"), "chromium"], { stdio: "inherit" });
  if (r.status !== 0 || !existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing and could not be installed (scripts/system-deps.sh chromium)`);
}

export async function launchBrowser(): Promise<Browser> {
  ensureChromium();
  const profile = mkdtempSync(path.join(tmpdir(), "chromium-profile-"));
  // launchPersistentContext passes the fresh profile as --user-data-dir.
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 900 },
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const errors: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(`console: ${m.text()}`);
  });
  page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
  return {
    context,
    page,
    errors,
    async screenshot(name) {
      mkdirSync(ARTIFACTS, { recursive: true });
      const file = path.join(ARTIFACTS, name);
      await page.screenshot({ path: file, fullPage: true });
      return file;
    },
    async close() {
      await context.close().catch(() => undefined);
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
