// The zod schemas of the catalog routes: validation of paths and queries, and the JSON answers of
// seed-api.md (field names as the website expects them, FilmDetail camelCase, SearchFilm snake_case).
import { z } from "@hono/zod-openapi";
import { AdType, FilmId, MediaCategory, MediaLocation, MediaType, OrderType } from "../../schema";
import { reasonDoc } from "../lib/responses";

export const Film = z
  .object({
    id: z.string(),
    title: z.string(),
    resource: z.string().openapi({ description: "poster image URL, empty when the film has none" }),
    state: z.string(),
    actors: z.array(z.string()),
  })
  .openapi("Film");

export const FilmList = z.object({ films: z.array(Film) }).openapi("FilmList");

export const RankedFilm = z
  .object({
    id: z.string(),
    title: z.string(),
    popularity: z.number().int().openapi({ description: "views over the last seven days" }),
  })
  .openapi("RankedFilm");

export const RankedList = z.object({ ranked_films: z.array(RankedFilm) }).openapi("RankedList");

export const FilmDetail = z
  .object({
    id: z.string(),
    title: z.string(),
    resource: z.string(),
    state: z.string(),
    type: z.string(),
    category: z.string(),
    actors: z.array(z.string()),
    directors: z.array(z.string()),
    location: z.string(),
    releaseYear: z.number().int(),
    updateTime: z.string().openapi({ description: "RFC 3339" }),
    popularity: z.number().int().openapi({ description: "total views" }),
    introduction: z.string(),
  })
  .openapi("FilmDetail");

export const FilmRoutes = z
  .object({
    film_routes: z.array(z.object({ route: z.string(), episodes: z.array(z.string()) })),
  })
  .openapi("FilmRoutes");

export const SearchFilm = z
  .object({
    id: z.string(),
    state: z.string(),
    title: z.string(),
    resource: z.string(),
    category: z.string(),
    actors: z.array(z.string()),
    directors: z.array(z.string()),
    location: z.string(),
    language: z.string(),
    release_year: z.number().int(),
    update_time: z.string().openapi({ description: "RFC 3339" }),
    introduction: z.string(),
  })
  .openapi("SearchFilm");

export const SearchList = z.object({ search_films: z.array(SearchFilm) }).openapi("SearchList");

export const AdAnswer = z.object({ URL: z.string() }).openapi("AdUrl");

// Query values arrive as text. Numbers are checked as text (digits only), so "1e3", " 5", "-0" or
// "" are refused instead of being coerced the way the old service silently did.
export const MAX_LIMIT = 100;
export const DEFAULT_LIMIT = 60;

export const PageQuery = z.object({
  offset: z
    .string()
    .regex(/^[0-9]{1,7}$/, "must be a whole number from 0 to 9999999")
    .optional()
    .openapi({ description: "rows to skip (default 0)", example: "0" }),
  limit: z
    .string()
    .refine((v) => /^[0-9]{1,3}$/.test(v) && Number(v) >= 1 && Number(v) <= MAX_LIMIT, `must be a whole number from 1 to ${MAX_LIMIT}`)
    .optional()
    .openapi({ description: `rows to answer (default ${DEFAULT_LIMIT}, at most ${MAX_LIMIT})`, example: "60" }),
});

export function pageOf(q: { offset?: string; limit?: string }) {
  return { offset: q.offset === undefined ? 0 : Number(q.offset), limit: q.limit === undefined ? DEFAULT_LIMIT : Number(q.limit) };
}

export const FilterQuery = PageQuery.extend({
  category: MediaCategory.optional().openapi({ description: "ALL_CATEGORY or absent: any" }),
  location: MediaLocation.optional().openapi({ description: "ALL_LOCATION or absent: any" }),
  release_year: z
    .string()
    .regex(/^[0-9]{1,4}$/, "must be a year (0 = any)")
    .optional()
    .openapi({ description: "0 or absent: any", example: "2024" }),
  order_type: OrderType.optional().openapi({ description: "default UpdateTime" }),
});

export const SearchQuery = PageQuery.extend({
  content: z.string().max(1000, "must be at most 1000 characters").openapi({ description: "text to look for", example: "星际" }),
});

export const TypeParam = z.object({ type: MediaType.openapi({ param: { name: "type", in: "path" } }) });
export const CategoryParam = z.object({ category: MediaCategory.openapi({ param: { name: "category", in: "path" } }) });
export const AdTypeParam = z.object({ type: AdType.openapi({ param: { name: "type", in: "path" } }) });
/** A malformed id is refused with 400 (it names the field); a well-formed unknown one is 404. */
export const FilmIdParam = z.object({ id: FilmId.openapi({ param: { name: "id", in: "path" }, example: "0b8f8a1e-3c55-4d5e-9d4b-3f1f4f5b8f10" }) });

export const json = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { "application/json": { schema } },
});

export const badRequest = reasonDoc("a path or query parameter is invalid (the reason names it)");
export const notFound = reasonDoc("no such film");
