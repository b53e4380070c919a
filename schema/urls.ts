// Which URLs from outside (an ad server's answers, a configured base URL) may be fetched: only https, or
// plain http to a loopback address when the caller allows it. Pure (Web APIs only): the edge's
// configuration and its ad server client both use it.

export function fetchableUrl(raw: string | undefined, allowLoopback: boolean): URL | null {
  if (!raw) return null;
  let u: URL;
  try {
    u = new URL(raw.trim());
  } catch {
    return null;
  }
  if (u.username || u.password) return null;
  if (u.protocol === "https:") return u;
  if (u.protocol === "http:" && allowLoopback && isLoopback(u.hostname)) return u;
  return null;
}

/** Loopback hosts: traffic to them never leaves the machine, so plain http there exposes nothing. */
export function isLoopback(hostname: string): boolean {
  const h = hostname.toLowerCase();
  return h === "localhost" || h.endsWith(".localhost") || h === "[::1]" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}
