import type { Clock } from '../clock/shared-clock';

/** Longest real-time wait between two checks of the shared clock (it can also move by offset changes). */
const MAX_REAL_WAIT_MS = 60_000;

/**
 * Resolves once the shared clock reaches `dueMs` (or `signal` aborts), waking early when the clock is advanced.
 *
 * @remarks
 * Schedules (timer occurrences, retry delays, scheduled messages) are measured on the shared clock, never on
 * `Date.now()`, so a test that advances the clock sees due work run promptly.
 */
export function sleepUntil(clock: Clock, dueMs: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    let timer: NodeJS.Timeout | undefined;
    const done = (): void => {
      if (timer) clearTimeout(timer);
      unsubscribe();
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const check = (): void => {
      if (timer) clearTimeout(timer);
      const remaining = dueMs - clock.now();
      if (remaining <= 0) return done();
      timer = setTimeout(check, Math.min(remaining, MAX_REAL_WAIT_MS));
    };
    const unsubscribe = clock.onChange(check);
    signal?.addEventListener('abort', done, { once: true });
    check();
  });
}

/** Waits `ms` on the shared clock. */
export function sleepFor(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return sleepUntil(clock, clock.now() + ms, signal);
}

/** Waits `ms` of real time (polling intervals, lock renewal), or until `signal` aborts. */
export function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
