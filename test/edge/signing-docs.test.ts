import { describe, expect, it } from "vitest";
import { call } from "./upload-support";

describe("OpenAPI document of the admin and internal routes", () => {
  it("lists every route once, the object routes with a plain {key}, the admin ones with the bearer scheme", async () => {
    const doc = (await (await call("/api/v1/openapi.json")).json()) as {
      paths: Record<string, Record<string, { security?: unknown[]; parameters?: { name: string; in: string }[] }>>;
      components?: { securitySchemes?: Record<string, { scheme?: string }> };
    };
    const objects = doc.paths["/api/v1/internal/objects/{key}"]!;
    expect(Object.keys(objects).sort()).toEqual(["get", "put"]);
    expect(objects.get!.parameters?.map((p) => `${p.in}:${p.name}`).sort()).toEqual(["path:key", "query:token"]);
    expect(Object.keys(doc.paths).some((p) => p.includes("{key{"))).toBe(false);
    for (const path of ["/api/v1/upload/media/", "/api/v1/upload/ad", "/api/v1/admin/uploads", "/api/v1/admin/jobs/{id}"]) {
      const op = Object.values(doc.paths[path]!)[0]!;
      expect(op.security, path).toEqual([{ adminBearer: [] }]);
    }
    expect(doc.components?.securitySchemes?.adminBearer?.scheme).toBe("bearer");
    for (const what of ["progress", "complete", "fail", "urls"]) expect(doc.paths[`/api/v1/internal/jobs/{id}/${what}`]?.post).toBeDefined();
  });
});
