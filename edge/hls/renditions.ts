// Which rendition of an ad goes into which rendition of the content.

export interface HasBandwidth {
  bandwidth: number;
}

/**
 * The candidate whose bandwidth is closest to `bandwidth`; on a tie the lower one, so an ad never asks more
 * of the viewer's connection than needed. Deterministic for a given list, so every request of one viewer
 * picks the same rendition.
 */
export function closestByBandwidth<T extends HasBandwidth>(candidates: readonly T[], bandwidth: number): T {
  let best: T | undefined;
  for (const c of candidates) {
    if (!best) best = c;
    else {
      const d = Math.abs(c.bandwidth - bandwidth);
      const bd = Math.abs(best.bandwidth - bandwidth);
      if (d < bd || (d === bd && c.bandwidth < best.bandwidth)) best = c;
    }
  }
  if (!best) throw new Error("no rendition to choose from");
  return best;
}
