// The fake third-party ad server the edge tests ask (a Node process beside workerd, not our stack).
import type { TestProject } from "vitest/node";
import { startFakeAdServer } from "./fake-ad-server";
import "../edge/provided";

export default async function setup(project: TestProject) {
  const server = await startFakeAdServer();
  project.provide("adServer", server.url);
  return () => server.close();
}
