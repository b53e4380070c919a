// `npm start` as a newcomer runs it: the whole stack from one command, demo content on the first
// start only, a stack whose supervisor was SIGKILLed cleaned up by the next start, the data kept
// for the next start, and a clean stop on SIGTERM (no process, no bound port left).
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AdminClient } from "../../scripts/harness/admin-client";
import { readDevVars } from "../../scripts/harness/config";
import { listening } from "../../scripts/harness/ports";
import { TSX } from "../../scripts/harness/transcoder";
import { freePort, ROOT, waitFor } from "../support/stack";

interface Started {
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
}

let stateDir: string;
let env: Record<string, string>;
let ports: { edge: number; intake: number; redis: number };
const running: Started[] = [];

/** What `npm start` runs: tsx, which runs scripts/start.ts (the supervisor) in a node child of its own. */
function start(args: string[] = []): Started {
  const child = spawn(TSX, [path.join(ROOT, "scripts/start.ts"), ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (out += d));
  const s = { child, output: () => out, exited: new Promise<number | null>((r) => child.once("exit", (code) => r(code))) };
  running.push(s);
  return s;
}

async function untilReady(s: Started, what = "[stack] ready") {
  await waitFor(`npm start to print ${what}`, async () => {
    if (s.child.exitCode !== null) throw new Error(`start.ts exited (${s.child.exitCode}):\n${s.output()}`);
    return s.output().includes(what);
  }, 240_000).catch((e: Error) => {
    throw new Error(`${e.message}\n${s.output().slice(-4000)}`);
  });
}

/** The supervisor: tsx's one child process (node running scripts/start.ts). */
const supervisorPid = (s: Started) => {
  const children = readFileSync(`/proc/${s.child.pid}/task/${s.child.pid}/children`, "utf8").trim().split(/\s+/).map(Number);
  expect(children).toHaveLength(1);
  return children[0]!;
};

const pidAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const recordedPids = () =>
  (JSON.parse(readFileSync(path.join(stateDir, "stack.pids.json"), "utf8")) as { name: string; pid: number }[]).filter((p) => p.name !== "demo");

const token = () => readDevVars(path.join(ROOT, ".dev.vars")).ADMIN_TOKEN!;

beforeAll(async () => {
  stateDir = mkdtempSync(path.join(tmpdir(), "stack-start-"));
  ports = { edge: await freePort(), intake: await freePort(), redis: await freePort() };
  env = {
    STATE_DIR: stateDir,
    EDGE_PORT: String(ports.edge),
    INTAKE_PORT: String(ports.intake),
    REDIS_PORT: String(ports.redis),
    INSPECTOR_PORT: String(await freePort()),
    DEMO_SECONDS: "2",
    X264_PRESET: "ultrafast",
  };
});

afterAll(async () => {
  for (const s of running) {
    if (s.child.exitCode === null) {
      s.child.kill("SIGTERM");
      await Promise.race([s.exited, new Promise((r) => setTimeout(r, 20_000))]);
    }
  }
  rmSync(stateDir, { recursive: true, force: true });
});

describe("npm start", () => {
  let filmIds: string[] = [];
  let stalePids: { name: string; pid: number }[] = [];

  it("starts Redis, the edge and the transcoder wired together and loads the demo content once", async () => {
    const s = start();
    await untilReady(s);
    const edge = `http://127.0.0.1:${ports.edge}`;
    expect(s.output()).toContain(`website      ${edge}/`);
    expect((await fetch(`${edge}/healthz`)).status).toBe(200);
    const page = await fetch(`${edge}/`);
    expect(await page.text()).toContain("<title>Edge Stream</title>");
    expect((await fetch(`http://127.0.0.1:${ports.intake}/healthz`)).status).toBe(200);
    expect(await listening(ports.redis)).toBe(true);

    // The demo: uploaded through the admin API, transcoded by the transcoder, then marked done.
    await untilReady(s, "[stack] demo content ready");
    const marker = JSON.parse(readFileSync(path.join(stateDir, "edge/demo-content.json"), "utf8")) as {
      complete: boolean;
      films: { id: string; title: string }[];
      ads: string[];
    };
    expect(marker.complete).toBe(true);
    expect(marker.films.map((f) => f.title)).toEqual(["Mandelbrot Dreams", "Colour Bars", "测试图案 Test Card", "Game of Life"]);
    filmIds = marker.films.map((f) => f.id);
    const routes = (await (await fetch(`${edge}/api/v1/affair/film_information/routes/${filmIds[2]}`)).json()) as {
      film_routes: { route: string; episodes: string[] }[];
    };
    expect(routes.film_routes).toEqual([
      { route: "line1", episodes: ["1"] },
      { route: "line2", episodes: ["1"] },
    ]);
    for (const type of ["WEB", "WEB_BAR", "WEB_CORNER"]) {
      const ad = await fetch(`${edge}/api/v1/affair/ad/${type}`);
      expect(ad.status, type).toBe(200);
      await ad.arrayBuffer();
    }
    const master = await fetch(`${edge}/api/v1/resource/media_list/line1/${filmIds[0]}/1`);
    expect(master.status).toBe(200);
    expect(await master.text()).toContain("#EXT-X-STREAM-INF");

    // The supervisor dies without cleaning up (SIGKILL): its children live on, holding the ports…
    const pids = recordedPids();
    expect(pids.map((p) => p.name)).toEqual(["redis", "edge", "transcoder"]);
    process.kill(supervisorPid(s), "SIGKILL");
    await s.exited;
    expect(pids.every((p) => pidAlive(p.pid))).toBe(true);
    expect(await listening(ports.edge)).toBe(true);
    stalePids = pids;
  });

  it("the next start stops what the killed one left, reuses the local data, skips the demo, and SIGTERM stops it all", async () => {
    const s = start();
    await untilReady(s);
    // Only the processes the previous start recorded are stopped, then everything starts afresh.
    for (const name of ["redis", "edge", "transcoder"]) expect(s.output()).toContain(`stopping ${name} (pid`);
    for (const p of stalePids) expect(pidAlive(p.pid), p.name).toBe(false);

    const edge = `http://127.0.0.1:${ports.edge}`;
    const film = await fetch(`${edge}/api/v1/affair/film_information/${filmIds[0]}`);
    expect(film.status).toBe(200);
    expect(((await film.json()) as { title: string }).title).toBe("Mandelbrot Dreams");
    // The admin API answers the token of .dev.vars.
    const created = await new AdminClient(edge, token()).createFilm({
      title: "Second start",
      type: "MOVIE",
      category: "MOVIE_DRAMA",
      location: "US",
      releaseYear: 2020,
      language: "English",
    });
    expect(created).toMatch(/^[0-9a-f-]{36}$/);
    expect(s.output()).not.toContain("loading the demo content");

    // SIGTERM stops every process it started, and every port is free again.
    const pids = recordedPids();
    s.child.kill("SIGTERM");
    expect(await s.exited).toBe(0);
    expect(s.output()).toContain("[stack] stopped; every port is free");
    for (const port of Object.values(ports)) expect(await listening(port), `port ${port}`).toBe(false);
    for (const p of pids) expect(pidAlive(p.pid), p.name).toBe(false);
    expect(existsSync(path.join(stateDir, "stack.pids.json"))).toBe(false);
  });
});
