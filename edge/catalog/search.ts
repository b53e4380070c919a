import { createRoute } from "@hono/zod-openapi";
import { resourceApp } from "../lib/openapi";
import { CostedReads } from "./d1-cost";
import { badRequest, json, pageOf, SearchList, SearchQuery } from "./schemas";
import { buildCelebrityQuery, buildSearchQuery, planSearch } from "./search-query";
import { type SearchRow, toSearchFilm } from "./shape";
import { config } from "../config";

const tags = ["search"];

// Unpaired surrogates: what UTF-8 encoding would turn them into anyway, so a name matches as stored.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

export const search = resourceApp()
  .openapi(
    createRoute({
      method: "get",
      path: "/search/content",
      tags,
      summary: "Films by relevance to a text: verbatim in the title, then the introduction, then people; then all its words; then words with a typo",
      description:
        "Any text is accepted and matched as a substring (any length, one Chinese character included), never as query syntax. " +
        "Within each of these ranks, the film added last comes first. Prefixes match as substrings; a word with one typo matches by either half (or, under six characters, by a trigram).",
      request: { query: SearchQuery },
      responses: { 200: json(SearchList, "a page of films, best match first"), 400: badRequest },
    }),
    async (c) => {
      const query = c.req.valid("query");
      const reads = new CostedReads(c.env.DB);
      const plan = planSearch(query.content);
      if (plan.kind === "empty") return c.json({ search_films: [] }, 200, reads.headers());
      const page = pageOf(query);
      // One statement: the arms, then the fallback passes, each only when nothing before it matched at all.
      const q = buildSearchQuery(plan, page);
      const rows = await reads.all<SearchRow>(q.sql, q.params);
      return c.json({ search_films: rows.map((r) => toSearchFilm(r, config(c.env).publicBaseUrl)) }, 200, reads.headers());
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/search/celebrity",
      tags,
      summary: "Films with an actor or director of exactly this name, newest update first (among the 400 films added last that hold the name)",
      request: { query: SearchQuery },
      responses: { 200: json(SearchList, "a page of films"), 400: badRequest },
    }),
    async (c) => {
      const query = c.req.valid("query");
      const reads = new CostedReads(c.env.DB);
      const name = query.content.replace(LONE_SURROGATE, "\uFFFD").trim();
      if (!name) return c.json({ search_films: [] }, 200, reads.headers());
      const q = buildCelebrityQuery(name, pageOf(query));
      const rows = await reads.all<SearchRow>(q.sql, q.params);
      return c.json({ search_films: rows.map((r) => toSearchFilm(r, config(c.env).publicBaseUrl)) }, 200, reads.headers());
    },
  );
