// Synthetic catalog for local development, benchmarks and tests: films with Chinese and English titles
// and people, every category / type / location, and views spread over the last ten days with counters
// that agree with them. Pure and deterministic (a seeded PRNG, an explicit "now"): no I/O, no Node or
// Workers APIs, so `npm run seed` (scripts/seed.ts) and the edge tests inside workerd share it.

import { MediaCategory, MediaLocation, type MediaType } from "../schema/enums";

export interface SeedOptions {
  films: number;
  /** PRNG seed: the same seed gives the same catalog. */
  seed?: number;
  /** Epoch ms taken as "now": today's views are on its UTC day. */
  now?: number;
  /** Days of view history, ending today. */
  days?: number;
  /** Prefix of every title (tests use it to find their own films). */
  titlePrefix?: string;
}

export interface SeedFilm {
  id: string;
  title: string;
  type: MediaType;
  category: MediaCategory;
  location: MediaLocation;
  language: string;
  release_year: number;
  state: string;
  introduction: string;
  created_at: number;
  updated_at: number;
  total_views: number;
  today_views: number;
  views_day: string;
  week_views: number;
  actors: string;
  directors: string;
}

export interface SeedPerson {
  film_id: string;
  role: "actor" | "director";
  name: string;
  position: number;
}

export interface SeedView {
  film_id: string;
  day: string;
  views: number;
}

export interface SeedCatalog {
  films: SeedFilm[];
  people: SeedPerson[];
  views: SeedView[];
}

/** mulberry32: small, fast, good enough for synthetic data. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const DAY_MS = 86_400_000;
const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** The type a category belongs to (categories are named after their type). */
export function typeOfCategory(category: MediaCategory): MediaType {
  if (category.startsWith("TV_SERIES_")) return "TV_SERIES";
  if (category.startsWith("ANIMATE_")) return "ANIMATE";
  if (category.startsWith("MOVIE_")) return "MOVIE";
  return "VARIETY_SHOWS";
}

const CATEGORIES = MediaCategory.options.filter((c) => c !== "ALL_CATEGORY");
const LOCATIONS = MediaLocation.options.filter((l) => l !== "ALL_LOCATION");
const LANGUAGES = ["普通话", "English", "한국어", "日本語", "粤语", "Français", "ไทย"];

const ZH_WORDS = [
  "星际", "长安", "江湖", "少年", "风云", "山海", "明月", "归途", "烈火", "时光", "梦境", "天涯", "孤城", "花开", "故乡",
  "雪国", "东方", "秘密", "侦探", "追光", "深海", "黎明", "远方", "青春", "家族", "传奇", "英雄", "迷雾", "白夜", "银河",
];
const ZH_SUFFIX = ["", "", "", "传", "记", "之战", "往事", "行动", "日记", "物语", "2", "前传", "的夏天", "十二时辰"];
const EN_ADJ = ["Silent", "Broken", "Golden", "Hidden", "Last", "Wild", "Crimson", "Frozen", "Endless", "Midnight", "Lost", "Electric", "Distant", "Brave"];
const EN_NOUN = ["River", "Kingdom", "Signal", "Garden", "Horizon", "Empire", "Harbor", "Voyage", "Circuit", "Lantern", "Frontier", "Orchard", "Comet", "Station"];
const EN_FORM = ["The {a} {n}", "{a} {n}", "{n} of the {a}", "The {n}", "{a} {n} II"];
const ZH_SURNAMES = ["王", "李", "张", "刘", "陈", "杨", "黄", "赵", "周", "吴", "徐", "孙", "马", "朱", "胡", "林", "郭", "何", "高", "罗"];
const ZH_GIVEN = ["伟", "芳", "娜", "敏", "静", "磊", "洋", "艳", "勇", "军", "杰", "娟", "涛", "明", "超", "秀英", "嘉怡", "子轩", "浩然", "一鸣", "雨桐", "思远", "若曦", "晓峰"];
const EN_FIRST = ["Emma", "Liam", "Olivia", "Noah", "Ava", "Lucas", "Mia", "Ethan", "Sofia", "Mason", "Chloe", "Logan", "Grace", "Henry", "Ruby", "Oscar"];
const EN_LAST = ["Smith", "Johnson", "Brown", "Taylor", "Anderson", "Clarke", "Walker", "Hughes", "Bennett", "Foster", "Reed", "Hayes", "Morgan", "Price"];
const ZH_INTRO = [
  "讲述了{p}在{w}中寻找真相的故事。",
  "一段跨越{w}的爱情，{p}必须做出选择。",
  "{p}带领伙伴踏上前往{w}的冒险旅程。",
  "在{w}的背景下，一个家族的命运悄然改变。",
  "改编自同名小说，{p}与命运抗争。",
];
const EN_INTRO = [
  "{p} searches for the truth behind the {w}.",
  "A story of love and loss set against the {w}.",
  "{p} leads a small crew on a journey to the {w}.",
  "When the {w} falls silent, one family must choose what to protect.",
  "Based on the novel, {p} fights a fate written long ago.",
];
const ZH_STATE = ["更新至第{n}集", "全{n}集", "完结", "HD", "抢先版"];
const EN_STATE = ["updated to episode {n}", "{n} episodes", "complete", "HD", "trailer"];

function uuid(rand: () => number): string {
  const hex = Array.from({ length: 32 }, () => Math.floor(rand() * 16).toString(16));
  hex[12] = "4";
  hex[16] = ((Math.floor(rand() * 4) & 0x3) | 0x8).toString(16);
  const h = hex.join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export function generateCatalog(options: SeedOptions): SeedCatalog {
  const rand = prng(options.seed ?? 1);
  const now = options.now ?? Date.now();
  const historyDays = options.days ?? 10;
  const prefix = options.titlePrefix ?? "";
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)]!;
  const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
  const today = day(now);
  const days = Array.from({ length: historyDays }, (_, i) => day(now - i * DAY_MS)); // days[0] = today
  const weekDays = new Set(days.slice(0, 7));

  const films: SeedFilm[] = [];
  const people: SeedPerson[] = [];
  const views: SeedView[] = [];
  for (let i = 0; i < options.films; i++) {
    const id = uuid(rand);
    // Cycle the enums so every value is present even in a small catalog.
    const category = CATEGORIES[i % CATEGORIES.length]!;
    const location = LOCATIONS[(i * 7 + Math.floor(i / CATEGORIES.length)) % LOCATIONS.length]!;
    const chinese = rand() < 0.6;
    const title = chinese
      ? `${pick(ZH_WORDS)}${rand() < 0.5 ? pick(ZH_WORDS) : ""}${pick(ZH_SUFFIX)}`
      : pick(EN_FORM).replace("{a}", pick(EN_ADJ)).replace("{n}", pick(EN_NOUN));
    const name = () =>
      chinese ? `${pick(ZH_SURNAMES)}${pick(ZH_GIVEN)}` : `${pick(EN_FIRST)} ${pick(EN_LAST)}`;
    const actors = [...new Set(Array.from({ length: int(2, 5) }, name))];
    const directors = [...new Set(Array.from({ length: int(1, 2) }, name))];
    const intro = (chinese ? pick(ZH_INTRO) : pick(EN_INTRO))
      .replace("{p}", actors[0]!)
      .replace("{w}", chinese ? pick(ZH_WORDS) : pick(EN_NOUN).toLowerCase());
    const episodes = int(1, 40);
    const state = pick(chinese ? ZH_STATE : EN_STATE).replace("{n}", String(episodes));
    const created = now - int(11, 730) * DAY_MS - int(0, DAY_MS - 1);
    const updated = Math.min(now - int(0, 10 * 60_000), created + int(0, 400) * DAY_MS);

    // A long tail: a few films get most of the views, many get none in the window.
    const weight = rand() < 0.35 ? 0 : Math.floor(200 / (1 + rand() * 60));
    let total = 0;
    let week = 0;
    let todayViews = 0;
    for (const d of days) {
      if (weight === 0 || rand() < 0.3) continue;
      const v = 1 + Math.floor(rand() * weight);
      views.push({ film_id: id, day: d, views: v });
      total += v;
      if (weekDays.has(d)) week += v;
      if (d === today) todayViews = v;
    }
    films.push({
      id,
      title: `${prefix}${title}`,
      type: typeOfCategory(category),
      category,
      location,
      language: chinese ? pick(["普通话", "粤语"]) : pick(LANGUAGES),
      release_year: int(1990, new Date(now).getUTCFullYear()),
      state,
      introduction: intro,
      created_at: created,
      updated_at: updated,
      total_views: total,
      today_views: todayViews,
      views_day: todayViews > 0 ? today : "",
      week_views: week,
      actors: JSON.stringify(actors),
      directors: JSON.stringify(directors),
    });
    actors.forEach((n, position) => people.push({ film_id: id, role: "actor", name: n, position }));
    directors.forEach((n, position) => people.push({ film_id: id, role: "director", name: n, position }));
  }
  return { films, people, views };
}

const FILM_COLUMNS: (keyof SeedFilm)[] = [
  "id", "title", "type", "category", "location", "language", "release_year", "state", "introduction",
  "created_at", "updated_at", "total_views", "today_views", "views_day", "week_views", "actors", "directors",
];

function literal(v: unknown): string {
  if (typeof v === "number") return String(v);
  return `'${String(v).replaceAll("'", "''")}'`;
}

const encoder = new TextEncoder();
const utf8Bytes = (s: string) => encoder.encode(s).length;

function inserts<T>(table: string, columns: (keyof T & string)[], rows: T[], maxBytes: number): string[] {
  const out: string[] = [];
  const head = `INSERT INTO ${table} (${columns.join(", ")}) VALUES `;
  let values: string[] = [];
  let size = head.length;
  for (const row of rows) {
    const tuple = `(${columns.map((c) => literal(row[c])).join(", ")})`;
    const bytes = utf8Bytes(tuple);
    if (values.length > 0 && size + bytes + 2 > maxBytes) {
      out.push(`${head}${values.join(", ")};`);
      values = [];
      size = head.length;
    }
    values.push(tuple);
    size += bytes + 2;
  }
  if (values.length) out.push(`${head}${values.join(", ")};`);
  return out;
}

/**
 * The catalog as groups of SQL statements; each group is meant to run as one transaction (a D1 batch,
 * or one `wrangler d1 execute --file`, which is a batch too) and holds whole films: first their people,
 * then the films (their actors/directors lists already set), then their daily views. People go first,
 * with foreign keys checked at commit, because each film_people row fires triggers that recompute the
 * film's lists and search entry: with the film not there yet that is a no-op, and the film's insert
 * then indexes it once, instead of once per person.
 * Statements are multi-row INSERTs of at most `statementBytes` (D1 refuses statements over 100 KB;
 * wrangler's SQL splitter slows down on long ones), groups of at most about `groupBytes`.
 */
export function catalogSqlGroups(catalog: SeedCatalog, statementBytes = 24_000, groupBytes = 4_000_000): string[][] {
  const peopleOf = new Map<string, SeedPerson[]>();
  for (const p of catalog.people) peopleOf.set(p.film_id, [...(peopleOf.get(p.film_id) ?? []), p]);
  const viewsOf = new Map<string, SeedView[]>();
  for (const v of catalog.views) viewsOf.set(v.film_id, [...(viewsOf.get(v.film_id) ?? []), v]);

  const groups: string[][] = [];
  // Rough size of one film with its people and views, to cut groups without rendering twice.
  const filmsPerGroup = Math.max(1, Math.floor(groupBytes / 900));
  for (let i = 0; i < catalog.films.length; i += filmsPerGroup) {
    const films = catalog.films.slice(i, i + filmsPerGroup);
    const people = films.flatMap((f) => peopleOf.get(f.id) ?? []);
    const views = films.flatMap((f) => viewsOf.get(f.id) ?? []);
    groups.push([
      "PRAGMA defer_foreign_keys = ON;",
      ...inserts<SeedPerson>("film_people", ["film_id", "role", "name", "position"], people, statementBytes),
      ...inserts("films", FILM_COLUMNS, films, statementBytes),
      ...inserts<SeedView>("film_views", ["film_id", "day", "views"], views, statementBytes),
    ]);
  }
  return groups;
}
