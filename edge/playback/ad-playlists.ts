// A FILM ad as its own playable playlist, for the URL `/affair/ad/FILM` hands out while MEDIA_SIGNING is on.
// The ad's stored master names its variants relatively, and a relative URI loses the `?token=` of the URL
// it came from, so with signing on the stored master cannot play. These routes serve the same ladder with
// every URI absolute and tokened, the way the stitched episode playlists are.
import { createRoute, z } from "@hono/zod-openapi";
import { AdId } from "../../schema/ids";
import { mediaUrl } from "../../schema/keys";
import { serializeMaster, stitch } from "../hls";
import { resourceApp } from "../lib/openapi";
import { reasonDoc as reasonResponse, refuse } from "../lib/responses";
import { config } from "../config";
import { PER_VIEWER } from "./media-policy";
import { mediaQuery, refusal } from "./media-tokens";
import { PlaylistStore, StoredPlaylistError } from "./playlist-store";
import { validRenditions } from "../../schema/jobs";

const MPEGURL = "application/vnd.apple.mpegurl";
const playlistResponse = (description: string) => ({ description, content: { [MPEGURL]: { schema: z.string() } } });
const Params = z.object({ id: AdId.openapi({ param: { name: "id", in: "path" } }) });


async function readyFilmAd(db: D1Database, id: string) {
  const row = await db
    .prepare("SELECT hls_prefix, renditions FROM ads WHERE id = ? AND type = 'FILM' AND status = 'ready' AND expires_at > ?")
    .bind(id, Date.now())
    .first<{ hls_prefix: string | null; renditions: string | null }>();
  if (!row?.hls_prefix) return null;
  const renditions = validRenditions(row.renditions ? (JSON.parse(row.renditions) as unknown) : null);
  return renditions.length ? { prefix: row.hls_prefix, renditions } : null;
}

export const adPlaylists = resourceApp()
  .openapi(
    createRoute({
      method: "get",
      path: "/ad_list/{id}/master.m3u8",
      tags: ["media"],
      summary: "A ready, unexpired FILM ad's master playlist, every variant URI absolute (and tokened with MEDIA_SIGNING=on)",
      request: { params: Params },
      responses: { 200: playlistResponse("master playlist"), 400: reasonResponse("bad id"), 404: reasonResponse("no such ad, or not ready") },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const ad = await readyFilmAd(c.env.DB, id);
      if (!ad) return refuse(c, 404, `no ready, unexpired FILM ad ${id}`);
      const query = await mediaQuery(c.env, ad.prefix);
      const base = `${config(c.env).publicBaseUrl.replace(/\/+$/, "")}/api/v1/resource/ad_list/${id}/v/`;
      const text = serializeMaster({
        independentSegments: false,
        variants: ad.renditions.map((r) => ({ uri: `${base}${encodeURIComponent(r.name)}.m3u8${query}`, bandwidth: r.bandwidth, averageBandwidth: r.averageBandwidth, width: r.width, height: r.height, codecs: r.codecs })),
      });
      return c.body(text, 200, { "Content-Type": MPEGURL, "Cache-Control": PER_VIEWER });
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/ad_list/{id}/v/{variant}",
      tags: ["media"],
      summary: "One rendition of a FILM ad, every segment URI absolute (and tokened with MEDIA_SIGNING=on)",
      request: {
        params: Params.extend({ variant: z.string().regex(/^[A-Za-z0-9_-]{1,32}\.m3u8$/, "a rendition name followed by .m3u8").openapi({ param: { name: "variant", in: "path" } }) }),
        query: z.object({ token: z.string().max(4096).optional() }),
      },
      responses: {
        200: playlistResponse("media playlist"),
        400: reasonResponse("bad parameter"),
        403: reasonResponse("MEDIA_SIGNING is on and the token is missing, expired or for another ad"),
        404: reasonResponse("no such ad or rendition"),
        502: reasonResponse("the stored playlist is invalid"),
      },
    }),
    async (c) => {
      const { id, variant } = c.req.valid("param");
      const ad = await readyFilmAd(c.env.DB, id);
      if (!ad) return refuse(c, 404, `no ready, unexpired FILM ad ${id}`);
      const name = variant.slice(0, -".m3u8".length);
      const rendition = ad.renditions.find((r) => r.name === name);
      if (!rendition) return refuse(c, 404, `variant: the ad has no rendition ${name}`);
      const refused = await refusal(c.env, ad.prefix + rendition.playlist, c.req.valid("query").token);
      if (refused) return refuse(c, 403, refused);
      const store = new PlaylistStore(c.env.MEDIA, (p) => c.executionCtx.waitUntil(p));
      let content;
      try {
        content = await store.get(ad.prefix + rendition.playlist);
      } catch (e) {
        if (e instanceof StoredPlaylistError) return refuse(c, 502, `stored playlist is invalid: ${e.message}`);
        throw e;
      }
      if (!content) return refuse(c, 404, `variant: the playlist of rendition ${name} is missing`);
      const result = stitch({ content, contentStyle: { base: mediaUrl(config(c.env).publicBaseUrl, ""), query: await mediaQuery(c.env, ad.prefix) }, ads: [] });
      return c.body(result.text, 200, { "Content-Type": MPEGURL, "Cache-Control": PER_VIEWER });
    },
  );
