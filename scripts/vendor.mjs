// Copies the browser build of hls.js from node_modules into the site's static assets, so the player
// is served from our own origin (no CDN) at the exact version package.json pins. Runs after
// `npm install` (postinstall), before `wrangler deploy` (`npm run deploy`), from `npm test`, `npm start`
// and the tests' stack. The copy is gitignored; it is rewritten only when it differs, so a watcher
// on the assets folder does not loop.
//
// Plain JavaScript on purpose, the one script that is not TypeScript: it is npm's `postinstall`, and an
// install without devDependencies (`npm install --omit=dev` on a deploy machine) has no tsx to run
// TypeScript with. tsconfig.node.json type-checks it (checkJs), so it needs no hand-written .d.mts.
import { copyFileSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const HLS_SOURCE = path.join(root, "node_modules/hls.js/dist/hls.min.js");
export const HLS_TARGET = path.join(root, "edge/site/public/assets/vendor/hls.min.js");

/** Copies hls.min.js into the site's assets; true when it wrote the file. */
export function vendorHls() {
  if (!existsSync(HLS_SOURCE)) throw new Error(`${HLS_SOURCE} is missing: run npm install`);
  const src = readFileSync(HLS_SOURCE);
  if (existsSync(HLS_TARGET) && readFileSync(HLS_TARGET).equals(src)) return false;
  mkdirSync(path.dirname(HLS_TARGET), { recursive: true });
  copyFileSync(HLS_SOURCE, HLS_TARGET);
  return true;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  if (vendorHls()) console.error(`copied hls.js into ${path.relative(root, HLS_TARGET)}`);
}
