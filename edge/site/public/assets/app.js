// The catalog website: home, filters, search, a film's page with its routes and episodes, the
// player and the image ads. Plain DOM, hash routes (#/, #/type/MOVIE?…, #/popular/MOVIE,
// #/search?q=…, #/film/{id}) so the edge only ever serves static files for it.
import { CATEGORIES, LOCATIONS, TYPES, categoriesOf, el, getJson, label, options, q, seg } from "./api.js";
import { showImageAds } from "./ads.js";
import { createPlayer } from "./player.js";

const PAGE = 24;
const $ = (id) => document.getElementById(id);

const player = createPlayer({ video: $("video"), badge: $("ad-badge"), status: $("player-status"), container: $("player"), seek: $("seek"), cc: $("cc") });
let listState = null;

function setStatus(node, text, isError = false) {
  node.textContent = text;
  node.classList.toggle("error", isError);
}

function parseHash() {
  const raw = location.hash.replace(/^#/, "") || "/";
  const [path, query = ""] = raw.split("?");
  return { parts: path.split("/").filter(Boolean).map(decodeURIComponent), params: new URLSearchParams(query) };
}

function renderTypeNav(current) {
  $("type-nav").replaceChildren(
    ...TYPES.map(([value, text]) =>
      el("li", {}, el("a", { href: value === "HOME" ? "#/" : `#/type/${value}`, "aria-current": value === current ? "page" : undefined, text })),
    ),
  );
}

function card(film) {
  const picture = film.resource
    ? el("img", { src: film.resource, alt: "", loading: "lazy" })
    : el("span", { class: "noposter", "aria-hidden": "true", text: "No poster" });
  return el(
    "li",
    {},
    el(
      "a",
      { class: "card", href: `#/film/${seg(film.id)}` },
      picture,
      el("span", { class: "title", text: film.title }),
      film.state ? el("span", { class: "state", text: film.state }) : null,
    ),
  );
}

/** A list view: `source(offset, limit)` answers the films of one page. */
async function showList(title, source, { filters } = {}) {
  $("view-film").hidden = true;
  $("view-list").hidden = false;
  player.stop();
  $("list-title").textContent = title;
  $("filters").hidden = !filters;
  $("films").replaceChildren();
  const state = { source, offset: 0 };
  listState = state;
  await loadMore(state);
}

async function loadMore(state) {
  const status = $("list-status");
  setStatus(status, "Loading…");
  $("more").hidden = true;
  try {
    const films = await state.source(state.offset, PAGE);
    if (listState !== state) return;
    state.offset += films.length;
    $("films").append(...films.map(card));
    setStatus(status, state.offset === 0 ? "Nothing here yet." : `${state.offset} film${state.offset === 1 ? "" : "s"}.`);
    $("more").hidden = films.length < PAGE;
  } catch (e) {
    setStatus(status, `Could not load the list: ${e.message}`, true);
  }
}

function showFilters(type, params) {
  options($("f-category"), categoriesOf(type), params.get("category") ?? "ALL_CATEGORY");
  options($("f-location"), LOCATIONS, params.get("location") ?? "ALL_LOCATION");
  $("f-year").value = params.get("release_year") ?? "";
  $("f-order").value = params.get("order_type") ?? "UpdateTime";
  $("filters").dataset.type = type;
  $("popular-link").href = `#/popular/${type}`;
}

async function showFilm(id, params) {
  $("view-list").hidden = true;
  $("view-film").hidden = false;
  $("episode-picker").hidden = true;
  player.stop();
  $("player").hidden = true;
  const status = $("player-status");
  setStatus(status, "Loading…");
  try {
    const [film, routes] = await Promise.all([
      getJson(`/api/v1/affair/film_information/${seg(id)}`),
      getJson(`/api/v1/affair/film_information/routes/${seg(id)}`),
    ]);
    document.title = `${film.title} · Edge Stream`;
    $("film-title").textContent = film.title;
    $("film-state").textContent = film.state ?? "";
    $("film-intro").textContent = film.introduction ?? "";
    const poster = $("film-poster");
    poster.hidden = !film.resource;
    if (film.resource) {
      poster.src = film.resource;
      poster.alt = `Poster of ${film.title}`;
    }
    const facts = [
      ["Type", label(TYPES, film.type)],
      ["Category", label(CATEGORIES, film.category)],
      ["Region", label(LOCATIONS, film.location)],
      ["Year", film.releaseYear || ""],
      ["Actors", (film.actors ?? []).join(", ")],
      ["Directors", (film.directors ?? []).join(", ")],
      ["Views", String(film.popularity ?? 0)],
    ].filter(([, v]) => v !== "");
    $("film-facts").replaceChildren(...facts.flatMap(([k, v]) => [el("dt", { text: k }), el("dd", { text: v })]));
    setupEpisodes(film, routes.film_routes ?? [], params);
  } catch (e) {
    setStatus(status, e.status === 404 ? "This film does not exist." : `Could not load the film: ${e.message}`, true);
  }
}

function setupEpisodes(film, routes, params) {
  const status = $("player-status");
  const picker = $("episode-picker");
  const routeSel = $("route-select");
  const epSel = $("episode-select");
  if (routes.length === 0) {
    setStatus(status, "No episode is ready to watch yet.");
    $("player").hidden = true;
    return;
  }
  setStatus(status, "");
  const wantedRoute = params.get("route");
  options(routeSel, routes.map((r) => [r.route, r.route]), routes.some((r) => r.route === wantedRoute) ? wantedRoute : routes[0].route);
  const fillEpisodes = () => {
    const r = routes.find((x) => x.route === routeSel.value) ?? routes[0];
    const wanted = params.get("episode");
    options(epSel, r.episodes.map((e) => [e, `Episode ${e}`]), r.episodes.includes(wanted) ? wanted : r.episodes[0]);
  };
  routeSel.onchange = fillEpisodes;
  fillEpisodes();
  picker.hidden = false;
  picker.onsubmit = (ev) => {
    ev.preventDefault();
    const url = `/api/v1/resource/media_list/${seg(routeSel.value)}/${seg(film.id)}/${seg(epSel.value)}`;
    player.play(url, `${film.title}, ${routeSel.value}, episode ${epSel.value}`);
  };
}

async function route() {
  const { parts, params } = parseHash();
  document.title = "Edge Stream";
  const [head, arg] = parts;
  renderTypeNav(head === "type" || head === "popular" ? arg : head === undefined ? "HOME" : "");
  if (head === "film" && arg) return showFilm(arg, params);
  if (head === "search") {
    const text = params.get("q") ?? "";
    const kind = params.get("kind") === "celebrity" ? "celebrity" : "content";
    $("search-q").value = text;
    $("search-kind").value = kind;
    return showList(`Search: ${text}`, async (offset, limit) => {
      const r = await getJson(`/api/v1/affair/search/${kind}${q({ content: text, offset, limit })}`);
      return r.search_films ?? [];
    });
  }
  if (head === "popular" && arg) {
    return showList(`Viewed today: ${label(TYPES, arg)}`, async (offset, limit) => {
      const r = await getJson(`/api/v1/affair/popular/type/${seg(arg)}${q({ offset, limit })}`);
      return r.films ?? [];
    });
  }
  if (head === "type" && arg) {
    showFilters(arg, params);
    const filter = {
      category: params.get("category") ?? undefined,
      location: params.get("location") ?? undefined,
      release_year: params.get("release_year") ?? undefined,
      order_type: params.get("order_type") ?? undefined,
    };
    return showList(label(TYPES, arg), async (offset, limit) => {
      const r = await getJson(`/api/v1/affair/filter/${seg(arg)}${q({ ...filter, offset, limit })}`);
      return r.films ?? [];
    }, { filters: true });
  }
  return showList("Latest updates", async (offset, limit) => {
    const r = await getJson(`/api/v1/affair${q({ offset, limit })}`);
    return r.films ?? [];
  });
}

async function showRanked() {
  try {
    const r = await getJson(`/api/v1/affair/ranked/ALL_CATEGORY${q({ limit: 10 })}`);
    $("ranked").replaceChildren(
      ...(r.ranked_films ?? []).map((f) => el("li", {}, el("a", { href: `#/film/${seg(f.id)}`, text: f.title }))),
    );
  } catch {
    $("ranked").replaceChildren(el("li", { text: "Not available." }));
  }
}

$("filters").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const type = $("filters").dataset.type ?? "HOME";
  location.hash = `#/type/${type}${q({
    category: $("f-category").value === "ALL_CATEGORY" ? "" : $("f-category").value,
    location: $("f-location").value === "ALL_LOCATION" ? "" : $("f-location").value,
    release_year: $("f-year").value === "0" ? "" : $("f-year").value,
    order_type: $("f-order").value === "UpdateTime" ? "" : $("f-order").value,
  })}`;
});

$("search-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const text = $("search-q").value.trim();
  if (!text) return;
  location.hash = `#/search${q({ q: text, kind: $("search-kind").value === "celebrity" ? "celebrity" : "" })}`;
});

$("more").addEventListener("click", () => listState && loadMore(listState));

window.addEventListener("hashchange", () => {
  route();
  $("main").focus({ preventScroll: false });
});

route();
showRanked();
showImageAds();
