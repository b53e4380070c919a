import { resourceApp } from "../lib/openapi";
import { adminAds } from "./ads";
import { adminJobs } from "./jobs";
import { adminImport } from "./import";
import { adminUploads } from "./uploads";

/** /api/v1/admin: signed multipart uploads, the job API, the ad report and the import routes (bearer-checked in edge/app.ts). */
export const admin = resourceApp().route("/", adminUploads).route("/", adminJobs).route("/", adminAds).route("/", adminImport);

admin.openAPIRegistry.registerComponent("securitySchemes", "adminBearer", {
  type: "http",
  scheme: "bearer",
  description: "ADMIN_TOKEN (local development: dev-admin-token from .dev.vars)",
});
