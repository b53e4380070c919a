import path from "node:path";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    projects: [
      {
        plugins: [
          cloudflareTest(async () => ({
            main: "./edge/index.ts",
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: {
              bindings: {
                ADMIN_TOKEN: "test-admin-token",
                SIGNING_SECRET: "test-signing-secret",
                PUBLIC_BASE_URL: "https://cdn.test",
                // Test files share the Cache API: answers are rendered anew on each request here, and
                // test/edge/answer-cache.test.ts turns the cache on for its own requests.
                CATALOG_FRESH_SECONDS: "0",
                CATALOG_STALE_SECONDS: "0",
                TEST_MIGRATIONS: await readD1Migrations(path.join(import.meta.dirname, "migrations")),
              },
            },
          })),
        ],
        test: {
          name: "edge",
          include: ["test/edge/**/*.test.ts"],
          setupFiles: ["./test/edge/apply-migrations.ts"],
          globalSetup: ["./test/support/ad-server-setup.ts"],
        },
      },
      {
        test: {
          name: "node",
          include: ["test/transcoder/**/*.test.ts", "test/e2e/**/*.test.ts"],
          environment: "node",
          testTimeout: 120_000,
          hookTimeout: 120_000,
          // ffmpeg is CPU-bound and the machine has 2 cores: one file at a time.
          fileParallelism: false,
        },
      },
    ],
  },
});
