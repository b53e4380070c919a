// Retries with exponential backoff and jitter, interruptible by an AbortSignal.
import { abortReason } from "./errors";

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortReason(signal));
    const t = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(abortReason(signal!));
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** Delay before try `n` (1-based) after a failure: base·2^(n-1), capped, with ±25 % jitter. */
export function backoffDelay(n: number, baseMs: number, maxMs: number): number {
  const raw = Math.min(maxMs, baseMs * 2 ** Math.max(0, n - 1));
  return Math.round(raw * (0.75 + Math.random() * 0.5));
}

export interface RetryOptions {
  /** Most tries in all (default 5, or unlimited when `forMs` is given). */
  tries?: number;
  /** Stop trying after this long (ms since the first try), whatever `tries` says. */
  forMs?: number;
  baseMs?: number;
  maxMs?: number;
  signal?: AbortSignal;
  /** Whether an error is worth another try (default: every error). */
  retryable?: (e: unknown) => boolean;
  onRetry?: (e: unknown, nextTry: number, delayMs: number) => void;
}

export async function withRetry<T>(fn: (tryNumber: number) => Promise<T>, o: RetryOptions = {}): Promise<T> {
  const tries = o.tries ?? (o.forMs !== undefined ? Number.POSITIVE_INFINITY : 5);
  const started = Date.now();
  for (let n = 1; ; n++) {
    if (o.signal?.aborted) throw abortReason(o.signal);
    try {
      return await fn(n);
    } catch (e) {
      if (o.signal?.aborted) throw abortReason(o.signal);
      if (o.retryable && !o.retryable(e)) throw e;
      if (n >= tries) throw e;
      const delay = backoffDelay(n, o.baseMs ?? 500, o.maxMs ?? 10_000);
      if (o.forMs !== undefined && Date.now() - started + delay > o.forMs) throw e;
      o.onRetry?.(e, n + 1, delay);
      await sleep(delay, o.signal);
    }
  }
}
