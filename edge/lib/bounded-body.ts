// Reading a body whole when it is small by contract (a caption file, an ad server's XML): never more
// than the cap is held, and a body that declares or turns out to be larger is dropped at once.

/** The chunks as one array (`total` = their summed length). */
export function concatBytes(chunks: Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** The body of a request or response, up to `max` bytes; null as soon as it is known to be larger (Content-Length, or while reading). */
export async function boundedBytes(message: Request | Response, max: number): Promise<Uint8Array | null> {
  const declared = Number(message.headers.get("content-length") ?? NaN);
  if (Number.isFinite(declared) && declared > max) {
    await message.body?.cancel().catch(() => undefined);
    return null;
  }
  if (!message.body) return new Uint8Array(0);
  const reader = message.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return concatBytes(chunks, size);
    size += value.length;
    if (size > max) {
      await reader.cancel().catch(() => undefined);
      return null;
    }
    chunks.push(value);
  }
}
