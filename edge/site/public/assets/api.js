// Same-origin calls to the edge's JSON API. Every error answer of the API is `{"reason": "..."}`.

export class ApiError extends Error {
  constructor(status, reason) {
    super(reason);
    this.status = status;
  }
}

export async function getJson(path, init = {}) {
  const res = await fetch(path, { ...init, headers: { accept: "application/json", ...(init.headers ?? {}) } });
  const text = await res.text();
  let body = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = null;
  }
  if (!res.ok) throw new ApiError(res.status, body?.reason ?? `${res.status} ${res.statusText}`);
  return body;
}

export const q = (params) => {
  const s = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== "") s.set(k, String(v));
  const text = s.toString();
  return text ? `?${text}` : "";
};

export const seg = encodeURIComponent;

export const TYPES = [
  ["HOME", "All"],
  ["MOVIE", "Movies"],
  ["TV_SERIES", "TV series"],
  ["ANIMATE", "Animation"],
  ["VARIETY_SHOWS", "Variety shows"],
];

export const CATEGORIES = [
  ["ALL_CATEGORY", "All categories"],
  ["TV_SERIES_CN_SERIES", "Chinese series"],
  ["TV_SERIES_KR_SERIES", "Korean series"],
  ["TV_SERIES_US_SERIES", "US series"],
  ["TV_SERIES_JP_SERIES", "Japanese series"],
  ["TV_SERIES_TW_SERIES", "Taiwanese series"],
  ["TV_SERIES_HK_SERIES", "Hong Kong series"],
  ["TV_SERIES_OVERSEAS_SERIES", "Overseas series"],
  ["TV_SERIES_DOCUMENTARY_SERIES", "Documentary series"],
  ["ANIMATE_ANIMATE", "Animation"],
  ["MOVIE_DRAMA", "Drama"],
  ["MOVIE_ACTION", "Action"],
  ["MOVIE_SCI_FI", "Science fiction"],
  ["MOVIE_COMEDY", "Comedy"],
  ["MOVIE_HORROR", "Horror"],
  ["MOVIE_ROMANCE", "Romance"],
  ["MOVIE_WAR", "War"],
  ["MOVIE_ANIMATED", "Animated film"],
  ["VARIETY_SHOW_VARIETY_SHOW", "Variety show"],
];

/** The categories that belong to a type (their names start with the type's prefix). */
export function categoriesOf(type) {
  const prefix = { TV_SERIES: "TV_SERIES_", ANIMATE: "ANIMATE_", MOVIE: "MOVIE_", VARIETY_SHOWS: "VARIETY_SHOW_" }[type];
  return CATEGORIES.filter(([v]) => v === "ALL_CATEGORY" || !prefix || v.startsWith(prefix));
}

export const LOCATIONS = [
  ["ALL_LOCATION", "All regions"],
  ["MAIN_LAND", "Mainland China"],
  ["CH", "China"],
  ["HK", "Hong Kong"],
  ["TW", "Taiwan"],
  ["KR", "Korea"],
  ["JP", "Japan"],
  ["US", "United States"],
  ["EU_US", "Europe and America"],
  ["GB", "United Kingdom"],
  ["FR", "France"],
  ["TH", "Thailand"],
  ["SG", "Singapore"],
  ["OTHER_LOCATION", "Other"],
];

export const label = (pairs, value) => pairs.find(([v]) => v === value)?.[1] ?? value;

export function options(select, pairs, selected) {
  select.replaceChildren(
    ...pairs.map(([value, text]) => {
      const o = document.createElement("option");
      o.value = value;
      o.textContent = text;
      o.selected = value === selected;
      return o;
    }),
  );
}

/** Small DOM builder: el("a", { href, class: "card" }, child, "text"). */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") node.className = v;
    else if (k === "text") node.textContent = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? "" : String(v));
  }
  node.append(...children.filter((c) => c !== undefined && c !== null));
  return node;
}
