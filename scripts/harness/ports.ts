// TCP ports on loopback: pick a free one, ask whether one is free or answering, and wait on a condition.
import { readFileSync } from "node:fs";
import { type AddressInfo, createConnection, createServer } from "node:net";

/** True when nothing listens on the port (it could be bound a moment ago). */
export function isPortFree(port: number, host = "127.0.0.1"): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once("error", () => resolve(false));
    srv.listen(port, host, () => srv.close(() => resolve(true)));
  });
}

/** The kernel's range of ephemeral ports (the source ports of outgoing connections). */
function ephemeralRange(): [number, number] {
  try {
    const [lo, hi] = readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/).map(Number);
    if (lo && hi && lo <= hi) return [lo, hi];
  } catch {
    // not Linux: the IANA range
  }
  return [49152, 65535];
}

/** Ports handed out in this process, so two services of one test never get the same one. */
const handedOut = new Set<number>();

/**
 * A TCP port that was free a moment ago on 127.0.0.1, chosen at random below the ephemeral range. A port
 * the kernel picks (listen on 0) is an ephemeral one, and between its release and the service binding it,
 * any outgoing connection on the machine (a load test makes thousands) may take it as its source port:
 * EADDRINUSE. Below the range only another listener can take it, and the choice is random, so parallel
 * test files rarely meet.
 */
export async function freePort(): Promise<number> {
  const [lo] = ephemeralRange();
  const base = Math.max(1024, lo - 12_000);
  if (lo - base >= 1000) {
    for (let i = 0; i < 100; i++) {
      const port = base + Math.floor(Math.random() * (lo - base));
      if (handedOut.has(port) || !(await isPortFree(port))) continue;
      handedOut.add(port);
      return port;
    }
  }
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** True when something accepts a connection on the port. */
export function listening(port: number, host = "127.0.0.1"): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = createConnection({ port, host });
    sock.once("connect", () => {
      sock.destroy();
      resolve(true);
    });
    sock.once("error", () => resolve(false));
  });
}

/**
 * Waits until `check` answers true (a throw counts as "not yet"). Fails after `timeoutMs`, or at once
 * when `isAlive` says the process being waited for has gone.
 */
export async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 60_000, isAlive: () => boolean = () => true): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // not there yet
    }
    if (!isAlive()) throw new Error(`${what} exited before it was ready`);
    if (Date.now() > deadline) throw new Error(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Waits until nothing accepts connections on the port; false when it is still bound after `timeoutMs`. */
export async function waitUntilClosed(port: number, timeoutMs = 10_000): Promise<boolean> {
  return waitFor(`port ${port} to close`, async () => !(await listening(port)), timeoutMs).then(
    () => true,
    () => false,
  );
}
