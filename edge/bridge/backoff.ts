/** Delay before delivery attempt `attempts + 1`: doubling from 10 s, capped at 5 minutes. */
export function retryDelaySeconds(attempts: number, baseSeconds = 10, capSeconds = 300): number {
  const n = Math.max(1, Math.floor(attempts));
  return Math.min(capSeconds, baseSeconds * 2 ** Math.min(n - 1, 20));
}
