import { isRecord } from '../state/trigger-support';

/** A function-level retry policy (`retry` in the app's registration, `retryOptions` in the metadata). */
export interface RetryPolicy {
  readonly strategy: 'fixedDelay' | 'exponentialBackoff';
  /** -1 means retry forever, as in the host. */
  readonly maxRetryCount: number;
  /** Delay before retry number `retryCount` (1-based), in ms. */
  delayMs(retryCount: number): number;
}

/**
 * Reads `retryOptions` as `@azure/functions` emits them (durations as `{seconds}`), or undefined when there is
 * none. Exponential back-off doubles from `minimumInterval` up to `maximumInterval` (the host adds jitter; the
 * local runtime does not, so tests are deterministic).
 */
export function retryPolicyOf(retryOptions: unknown): RetryPolicy | undefined {
  if (!isRecord(retryOptions)) return undefined;
  const strategy = retryOptions.retryStrategy ?? retryOptions.strategy;
  const maxRetryCount = Number(retryOptions.maxRetryCount ?? 0);
  if (!Number.isInteger(maxRetryCount) || maxRetryCount === 0 || maxRetryCount < -1) return undefined;
  if (strategy === 'fixedDelay') {
    const delay = durationMs(retryOptions.delayInterval);
    return { strategy, maxRetryCount, delayMs: () => delay };
  }
  if (strategy === 'exponentialBackoff') {
    const min = durationMs(retryOptions.minimumInterval);
    const max = Math.max(min, durationMs(retryOptions.maximumInterval));
    return { strategy, maxRetryCount, delayMs: (n) => Math.min(max, min * 2 ** Math.max(0, n - 1)) };
  }
  return undefined;
}

/** `{seconds, nanos?}` (protobuf Duration), `{hours, minutes, seconds, milliseconds}` or ms → ms. */
export function durationMs(value: unknown): number {
  if (typeof value === 'number' && Number.isFinite(value)) return Math.max(0, value);
  if (!isRecord(value)) return 0;
  const n = (k: string): number => (typeof value[k] === 'number' ? value[k] : Number(value[k] ?? 0)) || 0;
  return Math.max(
    0,
    n('hours') * 3_600_000 + n('minutes') * 60_000 + n('seconds') * 1000 + n('milliseconds') + n('nanos') / 1e6,
  );
}
