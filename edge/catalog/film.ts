import { createRoute } from "@hono/zod-openapi";
import { resourceApp } from "../lib/openapi";
import { CostedReads } from "./d1-cost";
import { badRequest, FilmDetail, FilmIdParam, FilmRoutes, json, notFound } from "./schemas";
import { DETAIL_COLUMNS, type DetailRow, groupRoutes, toFilmDetail } from "./shape";
import { config } from "../config";
import { refuse } from "../lib/responses";

const tags = ["catalog"];

export const film = resourceApp()
  .openapi(
    createRoute({
      method: "get",
      path: "/film_information/{id}",
      tags,
      summary: "A film's details; counts one view per viewer per UTC day (today's, the week's and the total)",
      request: { params: FilmIdParam },
      responses: { 200: json(FilmDetail, "the film"), 400: badRequest, 404: notFound },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const reads = new CostedReads(c.env.DB);
      const row = await reads.first<DetailRow>(`SELECT ${DETAIL_COLUMNS} FROM films WHERE id = ?`, [id]);
      if (!row) return refuse(c, 404, `film ${id} not found`);
      // The view is counted by edge/views (queued, also when this answer comes from the cache).
      return c.json(toFilmDetail(row, config(c.env).publicBaseUrl), 200, reads.headers());
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/film_information/routes/{id}",
      tags,
      summary: "A film's playable (ready) episodes, by route, in natural order",
      request: { params: FilmIdParam },
      responses: { 200: json(FilmRoutes, "routes and episodes"), 400: badRequest, 404: notFound },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const reads = new CostedReads(c.env.DB);
      const [found, episodes] = await reads.batch<[{ id: string }, { route: string; episode: string }]>([
        { sql: "SELECT id FROM films WHERE id = ?", params: [id] },
        { sql: "SELECT route, episode FROM episodes WHERE film_id = ? AND status = 'ready'", params: [id] },
      ]);
      if (found.length === 0) return refuse(c, 404, `film ${id} not found`);
      return c.json({ film_routes: groupRoutes(episodes) }, 200, reads.headers());
    },
  );
