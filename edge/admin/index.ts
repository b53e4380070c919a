import { resourceApp } from "../lib/openapi";
import { adminAds } from "./ads";
import { adminJobs } from "./jobs";
import { adminImport } from "./import";
import { adminUploads } from "./uploads";
import { adminCaptions } from "./captions";

/** /api/v1/admin: signed multipart uploads, the job API, the ad report, the import routes and captions (bearer-checked in edge/app.ts). */
export const admin = resourceApp().route("/", adminUploads).route("/", adminJobs).route("/", adminAds).route("/", adminImport).route("/", adminCaptions);

admin.openAPIRegistry.registerComponent("securitySchemes", "adminBearer", {
  type: "http",
  scheme: "bearer",
  description: "ADMIN_TOKEN (local development: dev-admin-token from .dev.vars)",
});
