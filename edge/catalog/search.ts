import { createRoute } from "@hono/zod-openapi";
import { resourceApp } from "../lib/openapi";
import { CostedReads } from "./d1-cost";
import { badRequest, json, pageOf, SearchList, SearchQuery } from "./schemas";
import { buildSearchQuery, planSearch, SEARCH_COLUMNS } from "./search-query";
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
      summary: "Films by relevance to a text (title weighs 3, introduction 2, people 1); tolerant of prefixes and typos",
      description:
        "Any text is accepted: it is matched as trigrams (three-character substrings), never as query syntax. " +
        "A text with no word of three characters or more (e.g. one or two Chinese characters) is looked for as a substring of titles and people.",
      request: { query: SearchQuery },
      responses: { 200: json(SearchList, "a page of films, best match first"), 400: badRequest },
    }),
    async (c) => {
      const query = c.req.valid("query");
      const reads = new CostedReads(c.env.DB);
      const plan = planSearch(query.content);
      if (plan.kind === "empty") return c.json({ search_films: [] }, 200, reads.headers());
      const q = buildSearchQuery(plan, pageOf(query));
      const rows = await reads.all<SearchRow>(q.sql, q.params);
      return c.json({ search_films: rows.map((r) => toSearchFilm(r, config(c.env).publicBaseUrl)) }, 200, reads.headers());
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/search/celebrity",
      tags,
      summary: "Films with an actor or director of exactly this name, newest update first",
      request: { query: SearchQuery },
      responses: { 200: json(SearchList, "a page of films"), 400: badRequest },
    }),
    async (c) => {
      const query = c.req.valid("query");
      const reads = new CostedReads(c.env.DB);
      const name = query.content.replace(LONE_SURROGATE, "\uFFFD").trim();
      if (!name) return c.json({ search_films: [] }, 200, reads.headers());
      const { offset, limit } = pageOf(query);
      // The name index finds the films; films rows are read only for the page.
      const rows = await reads.all<SearchRow>(
        `SELECT ${SEARCH_COLUMNS} FROM films f WHERE f.id IN (SELECT film_id FROM film_people WHERE name = ?) ` +
          "ORDER BY f.updated_at DESC, f.rowid DESC LIMIT ? OFFSET ?",
        [name, limit, offset],
      );
      return c.json({ search_films: rows.map((r) => toSearchFilm(r, config(c.env).publicBaseUrl)) }, 200, reads.headers());
    },
  );
