import { sql } from "drizzle-orm";
import { type AnySQLiteColumn, index, integer, primaryKey, real, sqliteTable, text } from "drizzle-orm/sqlite-core";
import type { AdStatus, AdType, EpisodeStatus, JobKind, JobStatus, PersonRole } from "./enums";
import type { CaptionEntry, Rendition } from "./jobs";

// Times are epoch milliseconds; days are UTC "YYYY-MM-DD".

export const films = sqliteTable(
  "films",
  {
    id: text("id").primaryKey(),
    title: text("title").notNull(),
    type: text("type").notNull(),
    category: text("category").notNull(),
    location: text("location").notNull(),
    language: text("language").notNull().default(""),
    releaseYear: integer("release_year").notNull().default(0),
    state: text("state").notNull().default(""),
    introduction: text("introduction").notNull().default(""),
    posterKey: text("poster_key"),
    /** A frame the transcoder extracted; served when the film has no poster of its own. */
    autoPosterKey: text("auto_poster_key"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
    totalViews: integer("total_views").notNull().default(0),
    /** Views on `viewsDay`; the cron roll-up zeroes it once the day is over. */
    todayViews: integer("today_views").notNull().default(0),
    viewsDay: text("views_day").notNull().default(""),
    /** Views over the last seven days, kept by each view and the daily roll-up. */
    weekViews: integer("week_views").notNull().default(0),
    /**
     * JSON arrays of the names in film_people (by position), kept by triggers (migration 0002_fts), so a
     * list of films reads one row per film instead of one per person. Write film_people, not these.
     */
    actors: text("actors", { mode: "json" }).$type<string[]>().notNull().default(sql`'[]'`),
    directors: text("directors", { mode: "json" }).$type<string[]>().notNull().default(sql`'[]'`),
  },
  (t) => [
    // One index per (filter prefix, order) the catalog asks for, so no list scans the table.
    index("films_updated").on(t.updatedAt),
    index("films_created").on(t.createdAt),
    index("films_week").on(t.weekViews, t.totalViews),
    index("films_total").on(t.totalViews),
    index("films_today").on(t.todayViews, t.totalViews),
    index("films_type_updated").on(t.type, t.updatedAt),
    index("films_type_created").on(t.type, t.createdAt),
    index("films_type_week").on(t.type, t.weekViews, t.totalViews),
    index("films_type_total").on(t.type, t.totalViews),
    index("films_type_today").on(t.type, t.todayViews, t.totalViews),
    index("films_category_updated").on(t.category, t.updatedAt),
    index("films_category_created").on(t.category, t.createdAt),
    index("films_category_week").on(t.category, t.weekViews, t.totalViews),
    index("films_category_total").on(t.category, t.totalViews),
    index("films_category_today").on(t.category, t.todayViews, t.totalViews),
    index("films_location_updated").on(t.location, t.updatedAt),
    index("films_location_created").on(t.location, t.createdAt),
    index("films_location_week").on(t.location, t.weekViews, t.totalViews),
    index("films_location_total").on(t.location, t.totalViews),
    // Pairs of filters (and the year alone), by measured selectivity: see INDEX_FAMILIES in
    // edge/catalog/list-query.ts, which a test checks against these.
    ...pairIndexes(t),
  ],
);

function pairIndexes(t: Record<"type" | "category" | "location" | "releaseYear" | "updatedAt" | "createdAt" | "weekViews" | "totalViews", AnySQLiteColumn>) {
  const dims = { type: t.type, category: t.category, location: t.location, year: t.releaseYear } as const;
  const orders = { updated: [t.updatedAt], created: [t.createdAt], week: [t.weekViews, t.totalViews], total: [t.totalViews] } as const;
  const families: (keyof typeof dims)[][] = [["year"], ["type", "year"], ["category", "year"], ["location", "year"], ["type", "location"], ["category", "location"], ["type", "category"]];
  return families.flatMap((fam) =>
    Object.entries(orders).map(([suffix, cols]) => {
      const [first, ...rest] = [...fam.map((d) => dims[d]), ...cols];
      return index(["films", ...fam, suffix].join("_")).on(first!, ...rest);
    }),
  );
}

export const filmPeople = sqliteTable(
  "film_people",
  {
    filmId: text("film_id")
      .notNull()
      .references(() => films.id, { onDelete: "cascade" }),
    role: text("role").$type<PersonRole>().notNull(),
    name: text("name").notNull(),
    position: integer("position").notNull(),
  },
  (t) => [primaryKey({ columns: [t.filmId, t.role, t.position] }), index("film_people_name").on(t.name)],
);

export const filmViews = sqliteTable(
  "film_views",
  {
    filmId: text("film_id")
      .notNull()
      .references(() => films.id, { onDelete: "cascade" }),
    day: text("day").notNull(),
    views: integer("views").notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.filmId, t.day] }), index("film_views_day").on(t.day)],
);

/**
 * One row per (UTC day, viewer of a film): a view counts only when its mark is new, so a viewer counts
 * at most once per film per day and a redelivered batch of view messages counts nothing. `mark` is an
 * HMAC of the viewer (address, user agent), the film and the day, never the viewer in clear. `batch`
 * is the id of the consumer run that inserted the row (its counts are taken from exactly those rows).
 * Rows of earlier days are pruned by the roll-up.
 */
export const viewMarks = sqliteTable(
  "view_marks",
  {
    day: text("day").notNull(),
    mark: text("mark").notNull(),
    filmId: text("film_id").notNull(),
    batch: text("batch").notNull(),
  },
  (t) => [primaryKey({ columns: [t.day, t.mark] }), index("view_marks_batch").on(t.batch)],
);

export const episodes = sqliteTable(
  "episodes",
  {
    filmId: text("film_id")
      .notNull()
      .references(() => films.id, { onDelete: "cascade" }),
    route: text("route").notNull(),
    episode: text("episode").notNull(),
    status: text("status").$type<EpisodeStatus>().notNull(),
    /** The job whose output this episode shows (or is waiting for). A newer upload replaces it. */
    jobId: text("job_id"),
    /** Versioned, immutable prefix of the ready HLS output; null until the first transcode completes. */
    hlsPrefix: text("hls_prefix"),
    masterKey: text("master_key"),
    sourceKey: text("source_key"),
    duration: real("duration"),
    renditions: text("renditions", { mode: "json" }).$type<Rendition[]>(),
    /**
     * The episode's captions, one entry per language (sorted by language), each naming the stored WebVTT
     * object (keys.captionKey) by its version. Independent of transcodes: an upload keeps them. Here and not
     * in a table of its own so the master playlist, which reads this row through the answer cache, needs
     * no other query.
     */
    captions: text("captions", { mode: "json" }).$type<CaptionEntry[]>().notNull().default(sql`'[]'`),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.filmId, t.route, t.episode] })],
);

export const ads = sqliteTable(
  "ads",
  {
    id: text("id").primaryKey(),
    type: text("type").$type<AdType>().notNull(),
    status: text("status").$type<AdStatus>().notNull(),
    /** Image ads: the image. FILM ads: the HLS master playlist once transcoded. */
    assetKey: text("asset_key"),
    contentType: text("content_type"),
    sourceKey: text("source_key"),
    hlsPrefix: text("hls_prefix"),
    jobId: text("job_id"),
    duration: real("duration"),
    renditions: text("renditions", { mode: "json" }).$type<Rendition[]>(),
    expiresAt: integer("expires_at").notNull(),
    createdAt: integer("created_at").notNull(),
    /** "upload": the site's own ad; "vast": a creative of an ad server conditioned here (never picked at random). */
    origin: text("origin").$type<"upload" | "vast">().notNull().default("upload"),
  },
  (t) => [index("ads_pick").on(t.type, t.status, t.expiresAt)],
);

/**
 * Ad-server creatives, by MediaFile URL: an unseen URL is fetched into R2 and queued as an ad transcode
 * once (the row's insert decides who does it); its `ads` row says when it is ready. `status` is the
 * fetch's: fetching, queued (the ad row took over), failed (`error`; deleting the row lets it be tried again).
 */
export const creatives = sqliteTable(
  "creatives",
  {
    /** SHA-256 of the MediaFile URL, hex. */
    urlHash: text("url_hash").primaryKey(),
    url: text("url").notNull(),
    adId: text("ad_id"),
    status: text("status").$type<"fetching" | "queued" | "failed">().notNull(),
    error: text("error"),
    bytes: integer("bytes"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [index("creatives_ad").on(t.adId)],
);

/**
 * What an ad server decided for one viewer's master playlist: per plan entry (the plan's breaks, in order),
 * the ad-server beacons of that ad. The signed plan carries the id, never the URLs.
 */
export const adDecisions = sqliteTable("ad_decisions", {
  id: text("id").primaryKey(),
  /** The episode (`{film}/{route}/{episode}`), as the plan's scope. */
  scope: text("scope").notNull(),
  entries: text("entries", { mode: "json" }).notNull(),
  createdAt: integer("created_at").notNull(),
});

/** One row per beacon event fired: a replay or a retried segment finds its row and fires nothing. */
export const adBeacons = sqliteTable(
  "ad_beacons",
  {
    decisionId: text("decision_id").notNull(),
    /** Index of the ad in the plan's breaks. */
    entry: integer("entry").notNull(),
    event: text("event").notNull(),
    adId: text("ad_id").notNull(),
    day: text("day").notNull(),
    /** URLs pinged, and how many answered 2xx within the retry window. */
    sent: integer("sent").notNull().default(0),
    ok: integer("ok").notNull().default(0),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.decisionId, t.entry, t.event] }), index("ad_beacons_ad_day").on(t.adId, t.day)],
);

/** Ad-server requests by day and outcome (ok, empty, http, timeout, invalid, wrapper, …): logged and counted. */
export const adServerOutcomes = sqliteTable(
  "ad_server_outcomes",
  {
    day: text("day").notNull(),
    outcome: text("outcome").notNull(),
    count: integer("count").notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.day, t.outcome] })],
);

export const adImpressions = sqliteTable(
  "ad_impressions",
  {
    adId: text("ad_id")
      .notNull()
      .references(() => ads.id, { onDelete: "cascade" }),
    day: text("day").notNull(),
    count: integer("count").notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.adId, t.day] })],
);

/**
 * One row per impression counted: (the viewer's plan, the break in it). A fetch of an ad's first
 * segment counts only when its row is new, so ranges, retries and every rendition of one break count
 * once. Rows go when their plan expires (the roll-up prunes them).
 */
export const adImpressionMarks = sqliteTable(
  "ad_impression_marks",
  {
    plan: text("plan").notNull(),
    brk: integer("brk").notNull(),
    adId: text("ad_id").notNull(),
    /** The plan's expiry, epoch milliseconds. */
    expiresAt: integer("expires_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.plan, t.brk] }), index("ad_impression_marks_expiry").on(t.expiresAt)],
);

export const jobs = sqliteTable(
  "jobs",
  {
    id: text("id").primaryKey(),
    kind: text("kind").$type<JobKind>().notNull(),
    status: text("status").$type<JobStatus>().notNull(),
    filmId: text("film_id"),
    route: text("route"),
    episode: text("episode"),
    adId: text("ad_id"),
    /** The film's `state` to set when this episode job completes (the upload's `?state=`). */
    filmState: text("film_state"),
    sourceKey: text("source_key").notNull(),
    outputPrefix: text("output_prefix").notNull(),
    progress: real("progress").notNull().default(0),
    attempts: integer("attempts").notNull().default(0),
    error: text("error"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
    startedAt: integer("started_at"),
    finishedAt: integer("finished_at"),
  },
  (t) => [index("jobs_status").on(t.status, t.createdAt)],
);

/** Signed multipart uploads in progress (R2 multipart under the hood). */
export const uploads = sqliteTable("uploads", {
  id: text("id").primaryKey(),
  r2UploadId: text("r2_upload_id").notNull(),
  key: text("key").notNull(),
  /** JSON of the target: an episode source or a FILM ad source. */
  target: text("target", { mode: "json" }).notNull(),
  size: integer("size").notNull(),
  partSize: integer("part_size").notNull(),
  contentType: text("content_type").notNull(),
  createdAt: integer("created_at").notNull(),
  expiresAt: integer("expires_at").notNull(),
  /** "open" while parts arrive; "completed" once the object is assembled and its job queued (kept so a repeated complete answers the same). */
  status: text("status").$type<"open" | "completed">().notNull().default("open"),
});

/** Parts received for a signed multipart upload: R2 needs every part's etag to complete, and cannot list them itself. */
export const uploadParts = sqliteTable(
  "upload_parts",
  {
    uploadId: text("upload_id")
      .notNull()
      .references(() => uploads.id, { onDelete: "cascade" }),
    partNumber: integer("part_number").notNull(),
    size: integer("size").notNull(),
    etag: text("etag").notNull(),
    uploadedAt: integer("uploaded_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.uploadId, t.partNumber] })],
);

/**
 * Nonces of signed requests that mint grants, each kept until its signature goes stale (its timestamp
 * plus the allowed skew): a request whose nonce is here is a replay. The roll-up prunes the stale ones.
 */
export const requestNonces = sqliteTable(
  "request_nonces",
  {
    nonce: text("nonce").primaryKey(),
    /** Epoch milliseconds after which the signature is refused anyway. */
    expiresAt: integer("expires_at").notNull(),
  },
  (t) => [index("request_nonces_expiry").on(t.expiresAt)],
);

/** Bookkeeping of the scheduled roll-up (last day rolled). */
export const meta = sqliteTable("meta", {
  key: text("key").primaryKey(),
  value: text("value").notNull(),
});


/**
 * Objects whose deletion was asked, by prefix (ending with "/") or by key: written in the same batch as the
 * rows that stop pointing at them, removed once every object under the prefix that existed when it was
 * asked (`askedAt`) is gone. A delete that fails half-way is finished by the cron (edge/lib/storage.ts);
 * objects added under the prefix later (an episode uploaded again) are not touched.
 */
export const pendingDeletes = sqliteTable(
  "pending_deletes",
  {
    prefix: text("prefix").primaryKey(),
    /** Epoch milliseconds; objects uploaded after it are kept. */
    askedAt: integer("asked_at").notNull(),
    reason: text("reason").notNull(),
    attempts: integer("attempts").notNull().default(0),
    lastError: text("last_error"),
    /** Not before (epoch ms): objects viewers may still be sent to (a replaced caption file). Null: at once. */
    dueAt: integer("due_at"),
  },
  (t) => [index("pending_deletes_asked").on(t.askedAt)],
);
