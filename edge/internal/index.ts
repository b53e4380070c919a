import { resourceApp } from "../lib/openapi";
import { internalJobs } from "./jobs";
import { internalObjects } from "./objects";

/** /api/v1/internal: what the transcoder calls (signed URLs and signed callbacks; no bearer). */
export const internal = resourceApp().route("/", internalObjects).route("/", internalJobs);
