// Playlists name their segments relative to themselves. We resolve every URI once, at parse time, to an
// object key (relative to the media bucket root), so serving it later is a string concatenation.

const SCHEME = /^[a-z][a-z0-9+.-]*:/i;
/** The path of our own public media route; a host-relative URI under it names a key directly. */
export const MEDIA_ROUTE_PATH = "/api/v1/resource/media/";

export class UriError extends Error {}

/** An absolute URL (http:, https:, data:, skd: …) is left to the player as it is. */
export function isExternalUri(uri: string): boolean {
  return SCHEME.test(uri);
}

/**
 * Resolves `uri` against the key of the playlist that names it. Returns an object key, or the URI itself
 * when it is absolute. Throws UriError when a relative URI climbs above the bucket root.
 */
export function resolveUri(playlistKey: string, uri: string): string {
  return uriResolver(playlistKey)(uri);
}

/** resolveUri for many URIs of one playlist: the directory is computed once. */
export function uriResolver(playlistKey: string): (uri: string) => string {
  const dir = playlistKey.slice(0, playlistKey.lastIndexOf("/") + 1);
  return (uri) => {
    // The common case (a transcoder's `seg_00001.ts`): a plain relative name, nothing to normalize.
    if (PLAIN.test(uri)) return dir + uri;
    return resolveSlow(dir, uri);
  };
}

const PLAIN = /^[A-Za-z0-9_-][A-Za-z0-9_.-]*(?:\/[A-Za-z0-9_-][A-Za-z0-9_.-]*)*$/;

function resolveSlow(dir: string, uri: string): string {
  if (isExternalUri(uri)) return uri;
  let path = uri;
  const cut = path.search(/[?#]/);
  if (cut >= 0) path = path.slice(0, cut);
  if (path.includes("%")) {
    try {
      path = decodeURIComponent(path);
    } catch {
      throw new UriError(`malformed percent-encoding in URI ${uri}`);
    }
  }
  if (path.startsWith("/")) {
    if (!path.startsWith(MEDIA_ROUTE_PATH)) throw new UriError(`host-relative URI outside the media route: ${uri}`);
    return normalize(path.slice(MEDIA_ROUTE_PATH.length), uri);
  }
  return normalize(dir + path, uri);
}

function normalize(path: string, original: string): string {
  const out: string[] = [];
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (out.length === 0) throw new UriError(`URI climbs above the bucket root: ${original}`);
      out.pop();
    } else out.push(part);
  }
  if (out.length === 0) throw new UriError(`URI names no object: ${original}`);
  return out.join("/");
}
