// A small client of the edge's admin API (bearer token) for the demo loader and the end-to-end
// tests. Uploads use the seed's form routes; the signed multipart flow is the CLI's and the admin
// page's.
import { readFileSync } from "node:fs";
import path from "node:path";

export interface FilmInput {
  title: string;
  type: string;
  category: string;
  location: string;
  releaseYear: number;
  language: string;
  state: string;
  actors: string[];
  directors: string[];
  introduction: string;
}

export interface JobView {
  id: string;
  kind: string;
  status: "queued" | "running" | "complete" | "failed" | "superseded";
  progress: number;
  attempts: number;
  error: string | null;
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

export class AdminClient {
  constructor(
    readonly edge: string,
    readonly token: string,
  ) {}

  private async call<T>(method: string, route: string, body?: BodyInit, contentType?: string): Promise<T> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.token}` };
    if (contentType) headers["content-type"] = contentType;
    const res = await fetchRetryingStaleSockets(`${this.edge}${route}`, { method, headers, body });
    const text = await res.text();
    if (!res.ok) {
      let reason = text;
      try {
        reason = (JSON.parse(text) as { reason?: string }).reason ?? text;
      } catch {
        // not JSON
      }
      throw new Error(`${method} ${route} → ${res.status}: ${reason}`);
    }
    return (text ? JSON.parse(text) : null) as T;
  }

  private form(file: string, fields: Record<string, string> = {}) {
    const form = new FormData();
    for (const [k, v] of Object.entries(fields)) form.set(k, v);
    const type = TYPES[path.extname(file).toLowerCase()] ?? "application/octet-stream";
    form.set("file", new Blob([readFileSync(file)], { type }), path.basename(file));
    return form;
  }

  async createFilm(input: FilmInput): Promise<string> {
    const { id } = await this.call<{ id: string }>("POST", "/api/v1/upload/media/", JSON.stringify(input), "application/json");
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

  job(id: string) {
    return this.call<JobView>("GET", `/api/v1/admin/jobs/${encodeURIComponent(id)}`);
  }

  /** Polls a job until it ends; `onChange` sees every new status/progress. */
  async followJob(id: string, onChange: (job: JobView) => void = () => {}, timeoutMs = 10 * 60_000): Promise<JobView> {
    const deadline = Date.now() + timeoutMs;
    let last = "";
    for (;;) {
      const job = await this.job(id);
      const seen = `${job.status} ${Math.round(job.progress * 100)}`;
      if (seen !== last) {
        last = seen;
        onChange(job);
      }
      if (job.status === "complete" || job.status === "failed" || job.status === "superseded") return job;
      if (Date.now() > deadline) throw new Error(`job ${id} did not finish within ${timeoutMs / 1000} s (last: ${seen} %)`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}
