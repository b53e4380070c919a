// The video player: hls.js (served from this origin) on a <video>, with an "Ad" badge shown while
// the fragment being played is an ad (see ad-markers.js for how ads are recognised), seek previews
// (storyboard.js) and a CC menu of the master's subtitle renditions (EXT-X-MEDIA TYPE=SUBTITLES):
// hls.js loads the chosen one and the browser renders its cues (a native text track).
import { findAds } from "./ad-markers.js";
import { STORYBOARD_DATA_ID, contentTime, cueAt, parseStoryboard } from "./storyboard.js";

/** The viewer's last captions choice (a language tag, or "off"), for the next episode too. */
const CAPTIONS_KEY = "edge-stream.captions";

/**
 * hls.js 1.7 loads subtitle fragments far ahead of the video. One whose discontinuity's video timestamps are
 * not known yet is kept for later, but the next timestamps found for any *other* discontinuity make hls.js give
 * it up ("Subtitle discontinuity domain does not match main") and never load it again. With ads stitched in,
 * every break adds two discontinuities, so the captions after a mid-roll went missing now and then (seen in
 * test/e2e/browser-captions.test.ts; hls.js issue #7347 is this race). This hands such a fragment back to
 * hls.js, as the FRAG_LOADED it was, once the video's timestamps for its discontinuity are found.
 */
function keepEarlySubtitleFragments(hls, Hls) {
  const loaded = new Map();
  const waiting = [];
  hls.on(Hls.Events.FRAG_LOADED, (_e, data) => {
    if (data.frag.type === "subtitle") loaded.set(data.frag, data);
  });
  hls.on(Hls.Events.SUBTITLE_FRAG_PROCESSED, (_e, data) => {
    const load = loaded.get(data.frag);
    loaded.delete(data.frag);
    if (!data.success && load && /discontinuity domain/.test(data.error?.message ?? "")) waiting.push(load);
  });
  // Registered after hls.js's own handlers: its timeline controller has the new timestamps by now.
  hls.on(Hls.Events.INIT_PTS_FOUND, (_e, data) => {
    if (data.id !== "main") return;
    const known = (cc) => (data.timestampOffsets ? Boolean(data.timestampOffsets[cc]) : cc === data.frag?.cc);
    for (let i = waiting.length - 1; i >= 0; i--) {
      if (!known(waiting[i].frag.cc)) continue;
      const [load] = waiting.splice(i, 1);
      loaded.set(load.frag, load);
      hls.trigger(Hls.Events.FRAG_LOADED, load);
    }
  });
}

export function createPlayer({ video, badge, status, container, seek, cc }) {
  let hls = null;
  /** Seek previews: the storyboard's cues, and where the ads sit in the timeline (previews are the content's). */
  let cues = [];
  let adRanges = [];
  const bar = seek?.querySelector("input");
  const preview = seek?.querySelector(".seek-preview");
  /** level index → Set of ad fragment sequence numbers; every variant of one viewer has the same ads. */
  const adsByLevel = new Map();
  /** level index → the ad ranges found in it; the master's X-Ad-Sources names each break's origin. */
  const rangesByLevel = new Map();
  let breakSources = [];

  function setAd(on, source) {
    if (on) badge.textContent = source === "ad-server" ? "Ad · ad server" : source === "site" ? "Ad · site" : "Ad";
    if (badge.hidden === !on) return;
    badge.hidden = !on;
    container.dataset.ad = on ? "playing" : "";
    if (on) container.dataset.adsSeen = String(Number(container.dataset.adsSeen ?? 0) + 1);
  }

  function say(text, isError = false) {
    status.textContent = text;
    status.classList.toggle("error", isError);
  }

  async function loadStoryboard(url) {
    try {
      const res = await fetch(url);
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      cues = parseStoryboard(await res.text(), url);
    } catch (e) {
      console.warn("no seek previews:", e.message);
      cues = [];
    }
    container.dataset.storyboard = String(cues.length);
    if (seek) seek.hidden = cues.length === 0;
  }

  /** Shows the thumbnail for fraction `f` of the timeline above the bar; false inside an ad. */
  function showPreview(f) {
    if (!preview || !video.duration) return false;
    const t = f * video.duration;
    const cue = cueAt(cues, contentTime(t, adRanges));
    preview.hidden = !cue;
    if (!cue) return false;
    const thumb = preview.querySelector(".thumb");
    thumb.style.width = `${cue.w}px`;
    thumb.style.height = `${cue.h}px`;
    thumb.style.backgroundImage = `url("${cue.url}")`;
    thumb.style.backgroundPosition = `-${cue.x}px -${cue.y}px`;
    preview.querySelector(".time").textContent = `${Math.floor(t / 60)}:${String(Math.floor(t % 60)).padStart(2, "0")}`;
    preview.style.left = `${f * 100}%`;
    return true;
  }

  if (bar) {
    const fractionAt = (e) => {
      const r = bar.getBoundingClientRect();
      return Math.min(1, Math.max(0, (e.clientX - r.left) / r.width));
    };
    bar.addEventListener("pointermove", (e) => showPreview(fractionAt(e)));
    bar.addEventListener("pointerleave", () => (preview.hidden = true));
    bar.addEventListener("input", () => showPreview(bar.valueAsNumber / 1000));
    bar.addEventListener("change", () => {
      if (video.duration) video.currentTime = (bar.valueAsNumber / 1000) * video.duration;
      preview.hidden = true;
    });
    video.addEventListener("timeupdate", () => {
      if (video.duration && document.activeElement !== bar) bar.value = String(Math.round((video.currentTime / video.duration) * 1000));
    });
  }

  const ccSelect = cc?.querySelector("select");

  /** The CC menu: Off, then hls.js's subtitle tracks (the master's SUBTITLES renditions), in its order. */
  function showSubtitleTracks(tracks) {
    container.dataset.subtitleTracks = JSON.stringify(tracks.map((t) => ({ name: t.name, lang: t.lang ?? "" })));
    if (!ccSelect) return;
    const off = new Option("Off", "-1");
    ccSelect.replaceChildren(off, ...tracks.map((t, i) => new Option(t.lang && t.lang !== t.name ? `${t.name} (${t.lang})` : t.name, String(i))));
    cc.hidden = tracks.length === 0;
    let wanted = null;
    try {
      wanted = localStorage.getItem(CAPTIONS_KEY);
    } catch {
      // storage disabled: no memory of the choice
    }
    const again = tracks.findIndex((t) => t.lang && t.lang === wanted);
    if (again >= 0 && hls) hls.subtitleTrack = again;
    ccSelect.value = String(hls?.subtitleTrack ?? -1);
  }

  ccSelect?.addEventListener("change", () => {
    if (!hls) return;
    const id = Number(ccSelect.value);
    hls.subtitleTrack = id;
    try {
      localStorage.setItem(CAPTIONS_KEY, id < 0 ? "off" : (hls.subtitleTracks[id]?.lang ?? "off"));
    } catch {
      // storage disabled
    }
  });

  function stop() {
    hls?.destroy();
    hls = null;
    cues = [];
    adRanges = [];
    if (seek) seek.hidden = true;
    container.dataset.storyboard = "0";
    if (cc) cc.hidden = true;
    ccSelect?.replaceChildren();
    container.dataset.subtitleTracks = "[]";
    container.dataset.subtitleTrack = "-1";
    adsByLevel.clear();
    rangesByLevel.clear();
    breakSources = [];
    setAd(false);
    video.removeAttribute("src");
    video.load();
  }

  function play(url, title) {
    stop();
    container.hidden = false;
    container.dataset.fatal = "";
    container.dataset.adsSeen = "0";
    const Hls = window.Hls;
    if (Hls?.isSupported()) {
      hls = new Hls({ enableWorker: true, backBufferLength: 30 });
      keepEarlySubtitleFragments(hls, Hls);
      hls.on(Hls.Events.MANIFEST_LOADED, (_e, data) => {
        // XHR loader (the default) or fetch loader: either way the master's response headers.
        const net = data.networkDetails;
        const header = net?.getResponseHeader?.("x-ad-sources") ?? net?.headers?.get?.("x-ad-sources") ?? "";
        breakSources = header ? header.split(",") : [];
        container.dataset.adSources = header;
      });
      hls.on(Hls.Events.LEVEL_LOADED, (_e, data) => {
        const found = findAds(data.details.fragments);
        adsByLevel.set(data.level, found.ads);
        rangesByLevel.set(data.level, found.ranges);
        container.dataset.adSource = found.source;
        container.dataset.adBreaks = String(found.ranges.length);
        adRanges = found.ranges;
      });
      hls.on(Hls.Events.MANIFEST_LOADED, (_e, data) => {
        const track = data.sessionData?.[STORYBOARD_DATA_ID]?.VALUE;
        if (track) void loadStoryboard(track);
      });
      hls.on(Hls.Events.SUBTITLE_TRACKS_UPDATED, (_e, data) => showSubtitleTracks(data.subtitleTracks ?? []));
      hls.on(Hls.Events.SUBTITLE_TRACK_SWITCH, (_e, data) => {
        container.dataset.subtitleTrack = String(data.id);
        if (ccSelect) ccSelect.value = String(data.id);
      });
      hls.on(Hls.Events.FRAG_CHANGED, (_e, data) => {
        const on = adsByLevel.get(data.frag.level)?.has(data.frag.sn) ?? false;
        const k = on ? (rangesByLevel.get(data.frag.level) ?? []).findIndex((r) => data.frag.start >= r.start - 0.01 && data.frag.start < r.end) : -1;
        setAd(on, breakSources[k]);
      });
      hls.on(Hls.Events.ERROR, (_e, data) => {
        if (!data.fatal) return;
        console.error("hls.js fatal error", data.type, data.details);
        container.dataset.fatal = `${data.type}:${data.details}`;
        if (data.type === Hls.ErrorTypes.MEDIA_ERROR) {
          hls.recoverMediaError();
          return;
        }
        say(`Playback failed (${data.details}).`, true);
      });
      hls.loadSource(url);
      hls.attachMedia(video);
    } else if (video.canPlayType("application/vnd.apple.mpegurl")) {
      // Native HLS (Safari): no access to the playlist's markers, so no ad badge.
      video.src = url;
    } else {
      say("This browser cannot play HLS video.", true);
      return;
    }
    say(`Playing ${title}.`);
    video.play().catch((e) => say(`Press play to start (${e.message}).`));
  }

  video.addEventListener("ended", () => {
    setAd(false);
    say("Finished.");
  });

  return { play, stop };
}
