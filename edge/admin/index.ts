import { resourceApp } from "../lib/openapi";
import { adminJobs } from "./jobs";
import { adminImport } from "./import";
import { adminUploads } from "./uploads";

/** /api/v1/admin: signed multipart uploads and the job API (bearer-checked in edge/app.ts). */
export const admin = resourceApp().route("/", adminUploads).route("/", adminJobs).route("/", adminImport);

admin.openAPIRegistry.registerComponent("securitySchemes", "adminBearer", {
  type: "http",
  scheme: "bearer",
  description: "ADMIN_TOKEN (local development: dev-admin-token from .dev.vars)",
});
