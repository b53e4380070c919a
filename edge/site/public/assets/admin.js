// The admin page: asks for the admin token (kept in sessionStorage, i.e. this tab only), then
// creates films, sets posters, uploads episodes and ads with upload and transcode progress, and
// manages an episode's captions.
import { LOCATIONS, TYPES, categoriesOf, el, getJson, options, seg } from "./api.js";
import { followJob, multipartUpload, send } from "./upload.js";

const TOKEN_KEY = "edge-stream.admin-token";
const $ = (id) => document.getElementById(id);

const token = () => sessionStorage.getItem(TOKEN_KEY) ?? "";

/** Bearer-authenticated JSON call. */
function api(method, path, body) {
  return getJson(path, {
    method,
    headers: { authorization: `Bearer ${token()}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

function status(form, text, isError = false) {
  const node = form.querySelector(".status");
  node.textContent = text;
  node.classList.toggle("error", isError);
}

function progress(form, which, fraction, text) {
  const bar = form.querySelector(`progress${which ? `.${which}` : ""}`);
  const out = form.querySelector(`output${which ? `.${which}` : ""}`);
  bar.value = fraction;
  out.textContent = text ?? `${Math.round(fraction * 100)} %`;
}

async function busy(form, work) {
  const button = form.querySelector("button[type=submit]");
  button.disabled = true;
  try {
    await work();
  } catch (e) {
    status(form, e.status === 401 ? `Refused: ${e.message}. Check the token.` : `Failed: ${e.message}`, true);
  } finally {
    button.disabled = false;
  }
}

const jobIdOf = (answer) => answer.jobId;

async function showJob(form, jobId) {
  status(form, `Transcoding (job ${jobId})…`);
  const job = await followJob(api, jobId, (j) => {
    progress(form, "job", j.progress ?? 0, `${Math.round((j.progress ?? 0) * 100)} % ${j.status}`);
  });
  if (job.status === "complete") {
    progress(form, "job", 1, "done");
    status(form, `Ready (job ${jobId}).`);
  } else {
    status(form, `Job ${jobId} ${job.status}${job.error ? `: ${job.error}` : ""}`, true);
  }
  loadJobs();
}

// --- token -------------------------------------------------------------------------------------

async function checkToken() {
  // Any admin route tells whether the token is accepted.
  await api("GET", "/api/v1/admin/jobs?limit=1");
}

async function unlock() {
  $("tools").hidden = false;
  $("forget").hidden = false;
  $("token-form").hidden = true;
  loadFilms();
  loadJobs();
}

$("token-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  sessionStorage.setItem(TOKEN_KEY, $("token").value.trim());
  const out = $("token-status");
  out.textContent = "Checking…";
  out.classList.remove("error");
  try {
    await checkToken();
    out.textContent = "";
    unlock();
  } catch (e) {
    sessionStorage.removeItem(TOKEN_KEY);
    out.textContent = `The edge refused this token: ${e.message}`;
    out.classList.add("error");
    $("token").focus();
  }
});

$("forget").addEventListener("click", () => {
  sessionStorage.removeItem(TOKEN_KEY);
  location.reload();
});

// --- films -------------------------------------------------------------------------------------

async function loadFilms() {
  try {
    const { films } = await getJson("/api/v1/affair?limit=100");
    $("film-ids").replaceChildren(...films.map((f) => el("option", { value: f.id, text: f.title })));
  } catch {
    // the list is a convenience; ids can be pasted
  }
}

const splitNames = (text) =>
  String(text ?? "")
    .split(/[,，]/)
    .map((s) => s.trim())
    .filter(Boolean);

options($("film-type"), TYPES.filter(([v]) => v !== "HOME"), "MOVIE");
const fillCategories = () => options($("film-category"), categoriesOf($("film-type").value).filter(([v]) => v !== "ALL_CATEGORY"));
$("film-type").addEventListener("change", fillCategories);
fillCategories();
options($("film-location"), LOCATIONS.filter(([v]) => v !== "ALL_LOCATION"), "US");

$("film-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const form = ev.currentTarget;
  busy(form, async () => {
    const f = new FormData(form);
    const { id } = await api("POST", "/api/v1/upload/media/", {
      title: f.get("title"),
      type: f.get("type"),
      category: f.get("category"),
      location: f.get("location"),
      releaseYear: Number(f.get("releaseYear") || 0),
      language: f.get("language"),
      state: f.get("state"),
      actors: splitNames(f.get("actors")),
      directors: splitNames(f.get("directors")),
      introduction: f.get("introduction"),
    });
    status(form, `Created film ${id}.`);
    form.querySelector("#film-status").dataset.filmId = id;
    for (const input of document.querySelectorAll("input[list=film-ids]")) input.value = id;
    loadFilms();
  });
});

// --- poster ------------------------------------------------------------------------------------

$("poster-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const form = ev.currentTarget;
  busy(form, async () => {
    const f = new FormData(form);
    const body = new FormData();
    body.set("file", f.get("file"));
    progress(form, "", 0);
    await send("POST", `/api/v1/upload/media/image/${seg(String(f.get("film")).trim())}`, body, {
      headers: { authorization: `Bearer ${token()}` },
      onProgress: (loaded, total) => progress(form, "", loaded / total),
    });
    progress(form, "", 1);
    status(form, "Poster set.");
  });
});

// --- episode -----------------------------------------------------------------------------------

$("episode-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const form = ev.currentTarget;
  busy(form, async () => {
    const f = new FormData(form);
    const file = f.get("file");
    progress(form, "upload", 0);
    progress(form, "job", 0, "–");
    status(form, "Uploading…");
    const target = {
      kind: "episode",
      filmId: String(f.get("film")).trim(),
      route: String(f.get("route")).trim(),
      episode: String(f.get("episode")).trim(),
    };
    const state = String(f.get("state") ?? "").trim();
    if (state) target.state = state;
    const done = await multipartUpload(api, target, file, (p) => progress(form, "upload", p));
    progress(form, "upload", 1);
    await showJob(form, jobIdOf(done));
  });
});

// --- ads ---------------------------------------------------------------------------------------

const inAWeek = new Date(Date.now() + 7 * 864e5 - new Date().getTimezoneOffset() * 6e4);
document.querySelector("#ad-form input[name=expires]").value = inAWeek.toISOString().slice(0, 16);

$("ad-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const form = ev.currentTarget;
  busy(form, async () => {
    const f = new FormData(form);
    const type = String(f.get("type"));
    const expires = new Date(String(f.get("expires"))).toISOString();
    const file = f.get("file");
    progress(form, "upload", 0);
    progress(form, "job", 0, "–");
    status(form, "Uploading…");
    if (type === "FILM") {
      const done = await multipartUpload(api, { kind: "ad", adType: "FILM", expiresAt: expires }, file, (p) =>
        progress(form, "upload", p),
      );
      progress(form, "upload", 1);
      await showJob(form, jobIdOf(done));
      return;
    }
    const body = new FormData();
    body.set("file", file);
    body.set("advertisement_type", type);
    body.set("expired_time", expires);
    const answer = await send("POST", "/api/v1/upload/ad", body, {
      headers: { authorization: `Bearer ${token()}` },
      onProgress: (loaded, total) => progress(form, "upload", loaded / total),
    });
    progress(form, "upload", 1);
    progress(form, "job", 1, "not needed");
    status(form, `Ad ${answer?.id ?? ""} is live.`);
  });
});

// --- captions ----------------------------------------------------------------------------------

const captionsForm = $("captions-form");

/** The episode the captions form names, and its captions route. */
function captionsTarget() {
  const f = new FormData(captionsForm);
  const film = String(f.get("film") ?? "").trim();
  const route = String(f.get("route") ?? "").trim();
  const episode = String(f.get("episode") ?? "").trim();
  if (!film || !route || !episode) throw new Error("name the film, route and episode");
  return { film, route, episode, path: `/api/v1/admin/films/${seg(film)}/episodes/${seg(route)}/${seg(episode)}/captions` };
}

async function loadCaptions() {
  const { path } = captionsTarget();
  const { captions = [] } = (await api("GET", path)) ?? {};
  $("captions").replaceChildren(
    ...(captions.length === 0
      ? [el("tr", {}, el("td", { colspan: "6", text: "No captions yet." }))]
      : captions.map((c) =>
          el(
            "tr",
            { "data-lang": c.lang },
            el("td", {}, el("code", { text: c.lang })),
            el("td", { text: c.label }),
            el("td", { text: String(c.cues) }),
            el("td", { text: c.bytes < 1024 ? `${c.bytes} B` : `${(c.bytes / 1024).toFixed(1)} KiB` }),
            el("td", { text: c.updatedAt ?? "" }),
            el(
              "td",
              {},
              el("button", {
                type: "button",
                class: "secondary",
                "aria-label": `Delete the ${c.label} (${c.lang}) captions`,
                text: "Delete",
                onclick: () => deleteCaptions(c),
              }),
            ),
          ),
        )),
  );
  return captions;
}

function deleteCaptions(c) {
  busy(captionsForm, async () => {
    const { path } = captionsTarget();
    await api("DELETE", `${path}/${seg(c.lang)}`);
    // The list first: the status says the whole change is on the page.
    await loadCaptions();
    status(captionsForm, `Deleted the ${c.label} (${c.lang}) captions.`);
  });
}

$("captions-list").addEventListener("click", () =>
  busy(captionsForm, async () => {
    const list = await loadCaptions();
    status(captionsForm, `${list.length} language${list.length === 1 ? "" : "s"}.`);
  }),
);

captionsForm.addEventListener("submit", (ev) => {
  ev.preventDefault();
  busy(captionsForm, async () => {
    const { path } = captionsTarget();
    const f = new FormData(captionsForm);
    const lang = String(f.get("lang") ?? "").trim();
    const label = String(f.get("label") ?? "").trim();
    const file = f.get("file");
    if (!lang) throw new Error("the captions' language, e.g. en");
    if (!(file instanceof File) || file.size === 0) throw new Error("choose a .vtt or .srt file");
    status(captionsForm, "Uploading…");
    // The file's bytes as they are: the edge tells WebVTT from SRT and names any bad line.
    const stored = await getJson(`${path}/${seg(lang)}${label ? `?label=${encodeURIComponent(label)}` : ""}`, {
      method: "PUT",
      headers: { authorization: `Bearer ${token()}`, "content-type": file.type || "application/octet-stream" },
      body: file,
    });
    await loadCaptions();
    status(captionsForm, `Stored ${stored.label} (${stored.lang}): ${stored.cues} cue${stored.cues === 1 ? "" : "s"} from ${String(stored.format).toUpperCase()}.`);
  });
});

// --- jobs --------------------------------------------------------------------------------------

async function loadJobs() {
  try {
    const answer = await api("GET", "/api/v1/admin/jobs?limit=20");
    const jobs = answer.jobs ?? [];
    $("jobs").replaceChildren(
      ...jobs.map((j) =>
        el(
          "tr",
          {},
          el("td", {}, el("code", { text: j.id.slice(0, 8) })),
          el("td", { text: j.target?.adId ? `ad ${j.target.adId.slice(0, 8)}` : `${j.target?.filmId?.slice(0, 8)} ${j.target?.route}/${j.target?.episode}` }),
          el("td", { text: j.status + (j.error ? `: ${j.error}` : "") }),
          el("td", { text: `${Math.round((j.progress ?? 0) * 100)} %` }),
          el("td", { text: j.updatedAt ?? "" }),
        ),
      ),
    );
  } catch (e) {
    $("jobs").replaceChildren(el("tr", {}, el("td", { colspan: "5", text: `Could not list jobs: ${e.message}` })));
  }
}
$("jobs-refresh").addEventListener("click", loadJobs);

if (token()) {
  checkToken().then(unlock, () => sessionStorage.removeItem(TOKEN_KEY));
}
