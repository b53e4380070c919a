// The three phases of an import (films with posters, episodes, ads). Each object is checked against the
// edge first (GET …/import/…) and written only when the edge does not already have it, so a second run
// writes nothing and a cut run picks up where it stopped. A failure is recorded and the run goes on.
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { sniffImage } from "../../edge/lib/sniff";
import { EpisodeName } from "../../schema/ids";
import type { Export } from "./collections";
import { EdgeClient, EdgeRefused, episodePath } from "./edge-client";
import { adFile, filmBody, routesByFilm, viewsByFilm } from "./mapping";
import { BadHls, MissingObject, type OldHls, objectPath, probeRendition, readOldHls } from "./old-hls";
import { Bar, type Tally } from "./progress";

const run = promisify(execFile);
const SEGMENT_UPLOADS = 4;

export interface Options {
  dir: string;
  edge: string;
  token: string;
  dryRun: boolean;
  retranscode: boolean;
}

type FilmState = { film: { fingerprint: string | null; posterKey: string | null } | null; episodes: Array<{ route: string; episode: string; status: string; hlsPrefix: string | null; jobId: string | null }> };

const why = (e: unknown) => (e instanceof EdgeRefused ? `edge refused: ${e.reason}` : e instanceof MissingObject || e instanceof BadHls ? e.message : String((e as Error).message ?? e));

export async function importAll(opts: Options, data: Export, tally: Tally): Promise<void> {
  const client = new EdgeClient(opts.edge, opts.token);
  const minio = path.join(opts.dir, "minio");
  const views = viewsByFilm(data.days);
  const routes = routesByFilm(data.routes);
  const imported = new Set<string>();
  const states = new Map<string, FilmState>();

  let bar = new Bar("films", data.films.length);
  for (const f of data.films) {
    const what = `film ${f.id}`;
    try {
      const body = filmBody(f, views.get(f.id));
      if (!body.title) throw new BadHls("title: empty");
      const poster = path.join(minio, "image", f.id);
      const bytes = existsSync(poster) ? await readFile(objectPath(minio, "image", f.id)) : null;
      if (bytes && !sniffImage(bytes.subarray(0, 64))) throw new BadHls(`image/${f.id}: not a PNG, JPEG, GIF or WebP image`);
      if (opts.dryRun) {
        tally.record("films", "imported", what);
      } else {
        const wrote = await client.request<{ changed: boolean }>("PUT", `/api/v1/admin/import/films/${f.id}`, { json: body });
        const posterWrote = bytes ? (await client.request<{ changed: boolean }>("PUT", `/api/v1/admin/import/films/${f.id}/poster`, { bytes })).changed : false;
        tally.record("films", wrote.changed || posterWrote ? "imported" : "skipped", what);
        states.set(f.id, await client.request<FilmState>("GET", `/api/v1/admin/import/films/${f.id}`));
      }
      imported.add(f.id);
    } catch (e) {
      tally.record("films", "failed", what, why(e));
    }
    bar.tick();
  }

  const episodes = [...routes].flatMap(([id, byRoute]) => [...byRoute].flatMap(([route, eps]) => eps.map((episode, i) => ({ id, route, episode, i }))));
  bar = new Bar("episodes", episodes.length);
  for (const e of episodes) {
    const what = `episode ${e.id} ${e.route}/${e.episode}`;
    try {
      if (!imported.has(e.id)) throw new BadHls("its film was not imported");
      const name = EpisodeName.safeParse(e.episode);
      if (!name.success) throw new BadHls(`episode name: ${name.error.issues[0]?.message ?? "invalid"}`);
      const film = data.films.find((f) => f.id === e.id)!;
      const hls = await readOldHls(minio, e.route, `${e.id}-${e.episode}`);
      const state = states.get(e.id)?.episodes.find((x) => x.route === e.route && x.episode === e.episode);
      // The old order (transcodes in the order they finished) is kept as creation times a millisecond apart.
      const times = { createdAt: film.created_at + e.i, updatedAt: film.update_at };
      if (opts.retranscode) tally.record("episodes", await retranscode(opts, client, e, hls, state), what);
      else tally.record("episodes", await importEpisode(opts, client, e, hls, state, times), what);
    } catch (err) {
      tally.record("episodes", "failed", what, why(err));
    }
    bar.tick();
  }

  bar = new Bar("ads", data.ads.length);
  for (const { type, doc } of data.ads) {
    const file = adFile(doc.file);
    const what = `ad ${type} ${file?.id ?? doc.file}`;
    try {
      if (!file) throw new BadHls(`file ${JSON.stringify(doc.file)} is neither <uuid>-original-file<ext> nor <uuid>.m3u8`);
      if ((type === "FILM") !== (file.kind === "hls")) throw new BadHls(`a ${type} ad cannot be ${doc.file}`);
      tally.record("ads", await importAd(opts, client, type, file.id, doc, minio), what);
    } catch (err) {
      tally.record("ads", "failed", what, why(err));
    }
    bar.tick();
  }
}

/** Uploads what the edge lacks of an HLS version (by name and size), playlist last. */
async function uploadHls(client: EdgeClient, base: string, hls: OldHls): Promise<void> {
  const { files } = await client.request<{ files: Array<{ name: string; size: number }> }>("GET", `${base}/hls/${hls.version}`);
  const have = new Map(files.map((f) => [f.name, f.size]));
  const todo = hls.segments.filter((s) => have.get(s.name) !== s.size);
  // A few at a time: an episode is hundreds of small requests, and the edge handles them independently.
  const next = () => todo.shift();
  await Promise.all(
    Array.from({ length: SEGMENT_UPLOADS }, async () => {
      for (let s = next(); s; s = next()) await client.putFile(`${base}/hls/${hls.version}/${s.name}`, s.file);
    }),
  );
  const bytes = new TextEncoder().encode(hls.playlist);
  if (have.get("index.m3u8") !== bytes.length) await client.request("PUT", `${base}/hls/${hls.version}/index.m3u8`, { bytes });
}

async function importEpisode(
  opts: Options,
  client: EdgeClient,
  e: { id: string; route: string; episode: string },
  hls: OldHls,
  state: FilmState["episodes"][number] | undefined,
  times: { createdAt: number; updatedAt: number },
): Promise<"imported" | "skipped"> {
  const rendition = await probeRendition(hls);
  if (opts.dryRun) return "imported";
  if (state?.status === "ready" && state.hlsPrefix?.endsWith(`/hls/${hls.version}/`)) return "skipped";
  // Transcoded (or being transcoded) since an upload or --retranscode: that version stays.
  if (state?.jobId) return "skipped";
  const base = episodePath(e.id, e.route, e.episode);
  await uploadHls(client, base, hls);
  const r = await client.request<{ changed: boolean }>("PUT", base, { json: { version: hls.version, rendition, ...times } });
  return r.changed ? "imported" : "skipped";
}

/**
 * The real ladder from the old segments: MPEG-TS segments of one stream concatenate byte for byte into
 * one playable source, which goes through the ordinary signed multipart upload (scripts/upload.ts).
 */
async function retranscode(opts: Options, client: EdgeClient, e: { id: string; route: string; episode: string }, hls: OldHls, state: FilmState["episodes"][number] | undefined): Promise<"imported" | "skipped"> {
  if (opts.dryRun) return "imported";
  // A transcode already queued, running or done for this episode is not asked for again; a failed one is.
  if (state?.jobId) {
    const job = await client.request<{ status: string }>("GET", `/api/v1/admin/jobs/${state.jobId}`).catch(() => null);
    if (job && job.status !== "failed" && job.status !== "superseded") return "skipped";
  }
  const dir = await mkdtemp(path.join(tmpdir(), "import-source-"));
  try {
    const source = path.join(dir, "source.ts");
    await writeFile(source, Buffer.concat(await Promise.all(hls.segments.map((s) => readFile(s.file)))));
    const tsx = path.resolve(import.meta.dirname, "../../node_modules/.bin/tsx");
    const upload = path.resolve(import.meta.dirname, "../upload.ts");
    await run(tsx, [upload, source, "--film", e.id, "--route", e.route, "--episode", e.episode, "--no-wait", "--edge", client.edge], {
      env: { ...process.env, ADMIN_TOKEN: opts.token },
    });
    return "imported";
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function importAd(opts: Options, client: EdgeClient, type: string, id: string, doc: { _id: string; expire_at: number; file: string }, minio: string): Promise<"imported" | "skipped"> {
  const createdAt = parseInt(doc._id.slice(0, 8), 16) * 1000;
  const base = `/api/v1/admin/import/ads/${id}`;
  if (type === "FILM") {
    const hls = await readOldHls(minio, "advertisement", id);
    const rendition = await probeRendition(hls);
    if (opts.dryRun) return "imported";
    const { ad } = await client.request<{ ad: { assetKey: string | null; expiresAt: number } | null }>("GET", base);
    if (ad?.assetKey?.includes(`/hls/${hls.version}/`) && ad.expiresAt === doc.expire_at) return "skipped";
    await uploadHls(client, base, hls);
    const r = await client.request<{ changed: boolean }>("PUT", base, { json: { type, expiresAt: doc.expire_at, createdAt, hls: { version: hls.version, rendition } } });
    return r.changed ? "imported" : "skipped";
  }
  const name = `${id}${doc.file.slice(id.length)}`;
  const bytes = await readFile(objectPath(minio, "advertisement", name)).catch(() => {
    throw new MissingObject(`missing object advertisement/${name}`);
  });
  const kind = sniffImage(bytes.subarray(0, 64));
  if (!kind) throw new BadHls(`advertisement/${name}: not a PNG, JPEG, GIF or WebP image`);
  if (opts.dryRun) return "imported";
  const { ad } = await client.request<{ ad: { assetKey: string | null; expiresAt: number } | null }>("GET", base);
  if (!ad?.assetKey?.endsWith(`/image.${kind.ext}`)) await client.request("PUT", `${base}/image`, { bytes });
  const r = await client.request<{ changed: boolean }>("PUT", base, { json: { type, expiresAt: doc.expire_at, createdAt, image: { ext: kind.ext } } });
  return r.changed ? "imported" : "skipped";
}
