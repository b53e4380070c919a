// The importer's view of the edge: the admin import routes over HTTP with the bearer token. Network
// errors, 5xx and 429 are tried again (every write is an idempotent PUT); other refusals are final.
import { readFile } from "node:fs/promises";

export class EdgeRefused extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
  ) {
    super(`${status}: ${reason}`);
  }
}

const TRIES = 4;

export class EdgeClient {
  constructor(
    readonly edge: string,
    private readonly token: string,
  ) {}

  async request<T>(method: string, path: string, body?: { json: unknown } | { bytes: Uint8Array }): Promise<T> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.token}` };
    let payload: BodyInit | undefined;
    if (body && "json" in body) {
      headers["content-type"] = "application/json";
      payload = JSON.stringify(body.json);
    } else if (body) {
      headers["content-type"] = "application/octet-stream";
      payload = body.bytes as Uint8Array<ArrayBuffer>;
    }
    for (let attempt = 1; ; attempt++) {
      let failure: string;
      try {
        const res = await fetch(`${this.edge}${path}`, { method, headers, body: payload });
        const text = await res.text();
        if (res.ok) return (text ? JSON.parse(text) : null) as T;
        let reason = text.slice(0, 500);
        try {
          reason = (JSON.parse(text) as { reason?: string }).reason ?? reason;
        } catch {
          // not JSON
        }
        if (res.status < 500 && res.status !== 429) throw new EdgeRefused(res.status, reason);
        failure = `${res.status}: ${reason}`;
      } catch (e) {
        if (e instanceof EdgeRefused) throw e;
        failure = String((e as Error).cause ?? e);
      }
      if (attempt >= TRIES) throw new Error(`${method} ${path}: ${failure}`);
      await new Promise((r) => setTimeout(r, 250 * 2 ** attempt));
    }
  }

  putFile<T>(path: string, file: string): Promise<T> {
    return readFile(file).then((bytes) => this.request<T>("PUT", path, { bytes }));
  }
}

/** `/api/v1/admin/import/films/{id}/episodes/{route}/{episode}`, names percent-encoded. */
export const episodePath = (id: string, route: string, episode: string) =>
  `/api/v1/admin/import/films/${id}/episodes/${encodeURIComponent(route)}/${encodeURIComponent(episode)}`;
