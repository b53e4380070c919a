// The old system's documents as mongoexport writes them (after ejson.ts), validated. Shapes follow the
// old Go models: see docs/migration.md. Only what the import keeps is required; `_id` is ignored except
// for ads, whose only id-free creation time it is.
import { z } from "zod";
import { AdType, MediaCategory, MediaLocation, MediaType } from "../../schema/enums";
import { RouteName } from "../../schema/ids";

/** api_upload made version-1 UUIDs; any UUID the new API accepts will do. */
const Uuid = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, "a UUID").transform((s) => s.toLowerCase());
const Millis = z.number().int();
/** Go's empty lists were written as null. */
const People = z
  .array(z.string())
  .nullable()
  .optional()
  .transform((v) => (v ?? []).map((s) => s.trim()).filter((s) => s.length > 0));

export const OldFilm = z.object({
  id: Uuid,
  title: z.string(),
  type: MediaType,
  category: MediaCategory,
  location: MediaLocation,
  language: z.string().nullable().optional().transform((v) => v ?? ""),
  release_year: z.number().int().min(0).max(9999).nullable().optional().transform((v) => v ?? 0),
  state: z.string().nullable().optional().transform((v) => v ?? ""),
  popularity: z.number().int().min(0).nullable().optional().transform((v) => v ?? 0),
  introduction: z.string().nullable().optional().transform((v) => v ?? ""),
  actors: People,
  directors: People,
  update_at: Millis,
  created_at: Millis,
});
export type OldFilm = z.infer<typeof OldFilm>;

/** A view of a deleted film still in the old Redis cache upserted `{_id, id, popularity}`: no film to import. */
export function isPhantomFilm(doc: unknown): boolean {
  if (!doc || typeof doc !== "object") return false;
  const keys = Object.keys(doc).filter((k) => k !== "_id");
  return keys.every((k) => k === "id" || k === "popularity") && keys.includes("id");
}

export const OldFilmRoute = z.object({
  id: Uuid,
  route: RouteName,
  // Names are checked one by one when the episodes are imported: one odd name must not lose its siblings.
  episodes: z.array(z.string()).nullable().optional().transform((v) => v ?? []),
});
export type OldFilmRoute = z.infer<typeof OldFilmRoute>;

export const OldFilmPopularity = z.object({
  id: Uuid,
  created_at: Millis,
  popularity: z.number().int().min(0),
});
export type OldFilmPopularity = z.infer<typeof OldFilmPopularity>;

export const OldAd = z.object({
  _id: z.string().regex(/^[0-9a-f]{24}$/),
  expire_at: Millis,
  bucket: z.literal("advertisement"),
  file: z.string().min(1).max(200),
});
export type OldAd = z.infer<typeof OldAd>;

/** Collections of the old ad database, one per AdType name (UNKNOWN is always empty). */
export const AD_COLLECTIONS = AdType.options;

export function describeIssues(e: z.ZodError): string {
  return [...new Set(e.issues.map((i) => `${i.path.join(".") || "document"}: ${i.message}`))].join("; ");
}
