import { afterAll, beforeAll, expect, it } from "vitest";
import { type DevEdge, startEdge } from "../support/stack";

let edge: DevEdge;
beforeAll(async () => {
  edge = await startEdge();
});
afterAll(async () => {
  await edge?.stop();
});

it("wrangler dev serves the edge with migrated D1", async () => {
  const res = await fetch(`${edge.url}/healthz`);
  expect(res.status).toBe(200);
  const tables = edge.sql<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'films'");
  expect(tables).toEqual([{ name: "films" }]);
});
