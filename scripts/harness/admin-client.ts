// The one client of the edge's admin API (bearer token): the demo loader, the upload CLI, the tests and
// the benches. Uploads here use the seed's form routes; the signed multipart flow is the upload CLI's
// (scripts/upload.ts, on request()) and the admin page's.
import { readFileSync } from "node:fs";
import path from "node:path";
import { type JobView, jobIsOver } from "../../schema/jobs";

export type { JobView } from "../../schema/jobs";
export { jobIsOver } from "../../schema/jobs";

/** `POST /api/v1/upload/media/`: title, type, category and location are required (see docs/api.md). */
export interface FilmInput {
  title: string;
  type: string;
  category: string;
  location: string;
  releaseYear?: number;
  language?: string;
  state?: string;
  actors?: string[];
  directors?: string[];
  introduction?: string;
}

const TYPES: Record<string, string> = {
  ".mp4": "video/mp4",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".gif": "image/gif",
  ".webp": "image/webp",
};

/**
 * fetch, tried again when the request died on the socket before any answer came back. A keep-alive
 * connection that the server closed while idle fails the next request that writes on it (EPIPE,
 * "other side closed"); the handler never received that request whole, so sending it again is safe.
 */
async function fetchRetryingStaleSockets(url: string, init: RequestInit, tries = 3): Promise<Response> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fetch(url, init);
    } catch (e) {
      const code = ((e as Error).cause as { code?: string } | undefined)?.code ?? "";
      const stale = ["EPIPE", "ECONNRESET", "UND_ERR_SOCKET", "UND_ERR_CLOSED"].includes(code);
      if (!stale || attempt >= tries) throw e;
    }
  }
}

/** One language of an episode's captions, as the admin API lists it. */
export interface CaptionsEntry {
  lang: string;
  label: string;
  cues: number;
  bytes: number;
  updatedAt: string;
}

/** What a caption upload answers. */
export interface CaptionsStored extends CaptionsEntry {
  format: "vtt" | "srt";
}

export class AdminError extends Error {
  constructor(
    readonly method: string,
    readonly route: string,
    readonly status: number,
    readonly reason: string,
  ) {
    super(`${method} ${route} → ${status}: ${reason}`);
  }
}

export interface FollowOptions {
  /** Sees every new status or progress. */
  onChange?: (job: JobView) => void;
  /** Sees every answer, changed or not. */
  onPoll?: (job: JobView) => void;
  /** Until this holds (default: the job is over). */
  until?: (job: JobView) => boolean;
  /** Between polls (default 500 ms). */
  pollMs?: number;
  /** Default 10 minutes. */
  timeoutMs?: number;
}

export class AdminClient {
  readonly edge: string;

  constructor(
    edge: string,
    readonly token: string,
  ) {
    this.edge = edge.replace(/\/+$/, "");
  }

  /** One call, whatever its status: the parsed JSON body (`{reason}` when the body is not JSON). */
  async request<T>(method: string, route: string, body?: BodyInit | object): Promise<{ status: number; json: T }> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.token}` };
    let payload: BodyInit | undefined;
    if (body === undefined || body instanceof FormData || typeof body === "string" || body instanceof Blob || body instanceof Uint8Array || body instanceof ArrayBuffer) payload = body as BodyInit | undefined;
    else {
      payload = JSON.stringify(body);
      headers["content-type"] = "application/json";
    }
    const res = await fetchRetryingStaleSockets(`${this.edge}${route}`, { method, headers, body: payload });
    const text = await res.text();
    let json: unknown = null;
    if (text) {
      try {
        json = JSON.parse(text);
      } catch {
        json = { reason: text };
      }
    }
    return { status: res.status, json: json as T };
  }

  /** One call that must succeed (2xx); else an AdminError with the edge's reason. */
  async call<T>(method: string, route: string, body?: BodyInit | object): Promise<T> {
    const r = await this.request<T>(method, route, body);
    if (r.status < 200 || r.status > 299) {
      const reason = (r.json as { reason?: string } | null)?.reason ?? JSON.stringify(r.json);
      throw new AdminError(method, route, r.status, reason);
    }
    return r.json;
  }

  private form(file: string, fields: Record<string, string> = {}) {
    const form = new FormData();
    for (const [k, v] of Object.entries(fields)) form.set(k, v);
    const type = TYPES[path.extname(file).toLowerCase()] ?? "application/octet-stream";
    form.set("file", new Blob([readFileSync(file)], { type }), path.basename(file));
    return form;
  }

  async createFilm(input: FilmInput): Promise<string> {
    const { id } = await this.call<{ id: string }>("POST", "/api/v1/upload/media/", input);
    return id;
  }

  deleteFilm(id: string) {
    return this.call<unknown>("DELETE", `/api/v1/upload/media/${encodeURIComponent(id)}`);
  }

  setPoster(filmId: string, file: string) {
    return this.call<{ resource: string }>("POST", `/api/v1/upload/media/image/${encodeURIComponent(filmId)}`, this.form(file));
  }

  /** Uploads an episode's source; answers the id of its transcode job. */
  async uploadEpisode(filmId: string, route: string, episode: string, file: string, state?: string): Promise<string> {
    const q = state ? `?state=${encodeURIComponent(state)}` : "";
    const path = `/api/v1/upload/media/resource/${encodeURIComponent(route)}/${encodeURIComponent(filmId)}/${encodeURIComponent(episode)}${q}`;
    const { jobId } = await this.call<{ jobId: string }>("POST", path, this.form(file));
    return jobId;
  }

  /** Uploads an ad; FILM ads answer the id of their transcode job. */
  uploadAd(type: "FILM" | "WEB" | "WEB_BAR" | "WEB_CORNER", file: string, expiresAt: Date) {
    return this.call<{ id: string; jobId?: string; status: string }>(
      "POST",
      "/api/v1/upload/ad",
      this.form(file, { advertisement_type: type, expired_time: expiresAt.toISOString() }),
    );
  }

  /** `…/films/{id}/episodes/{route}/{episode}/captions`, the base of an episode's caption routes. */
  captionsRoute(filmId: string, route: string, episode: string, lang?: string): string {
    const base = `/api/v1/admin/films/${encodeURIComponent(filmId)}/episodes/${encodeURIComponent(route)}/${encodeURIComponent(episode)}/captions`;
    return lang === undefined ? base : `${base}/${encodeURIComponent(lang)}`;
  }

  /**
   * Stores an episode's captions in one language (the file's bytes: WebVTT or SRT, the edge tells which);
   * replaces the language's earlier file. Answers the stored entry and whether it was new (201) or replaced (200).
   */
  async putCaptions(filmId: string, route: string, episode: string, lang: string, file: Uint8Array | string, label?: string): Promise<CaptionsStored & { created: boolean }> {
    const q = label !== undefined ? `?label=${encodeURIComponent(label)}` : "";
    const where = `${this.captionsRoute(filmId, route, episode, lang)}${q}`;
    const r = await this.request<CaptionsStored>("PUT", where, file);
    if (r.status !== 200 && r.status !== 201) throw new AdminError("PUT", where, r.status, (r.json as { reason?: string } | null)?.reason ?? JSON.stringify(r.json));
    return { ...r.json, created: r.status === 201 };
  }

  async listCaptions(filmId: string, route: string, episode: string): Promise<CaptionsEntry[]> {
    return (await this.call<{ captions: CaptionsEntry[] }>("GET", this.captionsRoute(filmId, route, episode))).captions;
  }

  async deleteCaptions(filmId: string, route: string, episode: string, lang: string): Promise<void> {
    await this.call<unknown>("DELETE", this.captionsRoute(filmId, route, episode, lang));
  }

  job(id: string) {
    return this.call<JobView>("GET", `/api/v1/admin/jobs/${encodeURIComponent(id)}`);
  }

  /** Polls a job until it is over (or `until` holds); answers the last job seen. */
  async followJob(id: string, opts: FollowOptions = {}): Promise<JobView> {
    const { onChange, onPoll, until = jobIsOver, pollMs = 500, timeoutMs = 10 * 60_000 } = opts;
    const deadline = Date.now() + timeoutMs;
    let last = "";
    for (;;) {
      const job = await this.job(id);
      onPoll?.(job);
      const seen = `${job.status} ${Math.round(job.progress * 100)}`;
      if (seen !== last) {
        last = seen;
        onChange?.(job);
      }
      if (until(job)) return job;
      if (Date.now() > deadline) throw new Error(`job ${id} did not get there within ${timeoutMs / 1000} s; last seen: ${JSON.stringify(job)}`);
      await new Promise((r) => setTimeout(r, pollMs));
    }
  }
}
