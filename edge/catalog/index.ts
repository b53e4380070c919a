import { revalidatedByETag } from "../lib/cache";
import { resourceApp } from "../lib/openapi";
import { ad } from "./ad";
import { film } from "./film";
import { lists } from "./lists";
import { search } from "./search";

/** The catalog of seed-api.md, mounted at /api/v1/affair. */
export const catalog = resourceApp();
catalog.use("*", revalidatedByETag());
catalog.route("/", lists);
catalog.route("/", film);
catalog.route("/", search);
catalog.route("/", ad);

export { reindexFilmStatements } from "./search-index";
