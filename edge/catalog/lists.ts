import { createRoute } from "@hono/zod-openapi";
import { resourceApp } from "../lib/openapi";
import { CostedReads } from "./d1-cost";
import { buildListQuery, FILM_COLUMNS, RANKED_COLUMNS } from "./list-query";
import { badRequest, CategoryParam, FilmList, FilterQuery, json, PageQuery, pageOf, RankedList, TypeParam } from "./schemas";
import { type FilmRow, type RankedRow, toFilm, toRanked } from "./shape";
import { config } from "../config";

const tags = ["catalog"];

export const lists = resourceApp()
  .openapi(
    createRoute({
      method: "get",
      path: "/",
      tags,
      summary: "All films, newest update first",
      request: { query: PageQuery },
      responses: { 200: json(FilmList, "a page of films"), 400: badRequest },
    }),
    async (c) => {
      const reads = new CostedReads(c.env.DB);
      const q = buildListQuery(FILM_COLUMNS, {}, "UpdateTime", pageOf(c.req.valid("query")));
      const rows = await reads.all<FilmRow>(q.sql, q.params);
      return c.json({ films: rows.map((r) => toFilm(r, config(c.env).publicBaseUrl)) }, 200, reads.headers());
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/filter/{type}",
      tags,
      summary: "Films of a type (HOME: any), optionally of a category, location and release year, in an order",
      request: { params: TypeParam, query: FilterQuery },
      responses: { 200: json(FilmList, "a page of films"), 400: badRequest },
    }),
    async (c) => {
      const { type } = c.req.valid("param");
      const query = c.req.valid("query");
      const reads = new CostedReads(c.env.DB);
      const filter = {
        type,
        category: query.category,
        location: query.location,
        releaseYear: query.release_year === undefined ? 0 : Number(query.release_year),
      };
      const q = buildListQuery(FILM_COLUMNS, filter, query.order_type ?? "UpdateTime", pageOf(query));
      const rows = await reads.all<FilmRow>(q.sql, q.params);
      return c.json({ films: rows.map((r) => toFilm(r, config(c.env).publicBaseUrl)) }, 200, reads.headers());
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/popular/type/{type}",
      tags,
      summary: "Films of a type (HOME: any): viewed today first, by today's views, then by total views",
      request: { params: TypeParam, query: PageQuery },
      responses: { 200: json(FilmList, "a page of films"), 400: badRequest },
    }),
    async (c) => {
      const reads = new CostedReads(c.env.DB);
      const q = buildListQuery(FILM_COLUMNS, { type: c.req.valid("param").type }, "TODAY_POPULARITY", pageOf(c.req.valid("query")));
      const rows = await reads.all<FilmRow>(q.sql, q.params);
      return c.json({ films: rows.map((r) => toFilm(r, config(c.env).publicBaseUrl)) }, 200, reads.headers());
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/popular/category/{category}",
      tags,
      summary: "Films of a category (ALL_CATEGORY: any): viewed today first, by today's views, then by total views",
      request: { params: CategoryParam, query: PageQuery },
      responses: { 200: json(FilmList, "a page of films"), 400: badRequest },
    }),
    async (c) => {
      const reads = new CostedReads(c.env.DB);
      const filter = { category: c.req.valid("param").category };
      const q = buildListQuery(FILM_COLUMNS, filter, "TODAY_POPULARITY", pageOf(c.req.valid("query")));
      const rows = await reads.all<FilmRow>(q.sql, q.params);
      return c.json({ films: rows.map((r) => toFilm(r, config(c.env).publicBaseUrl)) }, 200, reads.headers());
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/ranked/{category}",
      tags,
      summary: "Films of a category (ALL_CATEGORY: any) by views over the last seven days, then total views",
      request: { params: CategoryParam, query: PageQuery },
      responses: { 200: json(RankedList, "a page of ranked films"), 400: badRequest },
    }),
    async (c) => {
      const reads = new CostedReads(c.env.DB);
      const filter = { category: c.req.valid("param").category };
      const q = buildListQuery(RANKED_COLUMNS, filter, "WEEKLY_POPULARITY", pageOf(c.req.valid("query")));
      const rows = await reads.all<RankedRow>(q.sql, q.params);
      return c.json({ ranked_films: rows.map(toRanked) }, 200, reads.headers());
    },
  );
