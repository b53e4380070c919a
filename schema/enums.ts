import { z } from "zod";

// The enums of the public API (docs/api.md); values are the names, as strings.
export const MediaType = z.enum(["HOME", "TV_SERIES", "ANIMATE", "MOVIE", "VARIETY_SHOWS"]);
export type MediaType = z.infer<typeof MediaType>;

export const MediaCategory = z.enum([
  "ALL_CATEGORY",
  "TV_SERIES_CN_SERIES",
  "TV_SERIES_KR_SERIES",
  "TV_SERIES_US_SERIES",
  "TV_SERIES_JP_SERIES",
  "TV_SERIES_TW_SERIES",
  "TV_SERIES_HK_SERIES",
  "TV_SERIES_OVERSEAS_SERIES",
  "TV_SERIES_DOCUMENTARY_SERIES",
  "ANIMATE_ANIMATE",
  "MOVIE_DRAMA",
  "MOVIE_ACTION",
  "MOVIE_SCI_FI",
  "MOVIE_COMEDY",
  "MOVIE_HORROR",
  "MOVIE_ROMANCE",
  "MOVIE_WAR",
  "MOVIE_ANIMATED",
  "VARIETY_SHOW_VARIETY_SHOW",
]);
export type MediaCategory = z.infer<typeof MediaCategory>;

export const MediaLocation = z.enum([
  "ALL_LOCATION",
  "OTHER_LOCATION",
  "CH",
  "MAIN_LAND",
  "KR",
  "JP",
  "TW",
  "HK",
  "US",
  "EU_US",
  "TH",
  "GB",
  "FR",
  "SG",
]);
export type MediaLocation = z.infer<typeof MediaLocation>;

export const OrderType = z.enum(["UpdateTime", "UploadTime", "WEEKLY_POPULARITY", "TOTAL_POPULARITY"]);
export type OrderType = z.infer<typeof OrderType>;

export const AdType = z.enum(["FILM", "WEB", "WEB_BAR", "WEB_CORNER"]);
export type AdType = z.infer<typeof AdType>;

export const EpisodeStatus = z.enum(["processing", "ready", "failed"]);
export type EpisodeStatus = z.infer<typeof EpisodeStatus>;

export const AdStatus = z.enum(["processing", "ready", "failed"]);
export type AdStatus = z.infer<typeof AdStatus>;

export const JobKind = z.enum(["episode", "ad"]);
export type JobKind = z.infer<typeof JobKind>;

/** queued → running → complete | failed; superseded when a newer upload of the same target replaced it. */
export const JobStatus = z.enum(["queued", "running", "complete", "failed", "superseded"]);
export type JobStatus = z.infer<typeof JobStatus>;

export const PersonRole = z.enum(["actor", "director"]);
export type PersonRole = z.infer<typeof PersonRole>;
