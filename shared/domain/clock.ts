/**
 * The one source of "now" for app code outside orchestrators (orchestrators use
 * `context.df.currentUtcDateTime`). Locally it is the launcher's shared clock, which tests can advance.
 */
export interface Clock {
  now(): Date;
}

/** Real time. */
export const systemClock: Clock = { now: () => new Date() };

/** A clock fixed at (or moved by hand from) a given instant: for tests and replays. */
export function fixedClock(at: Date | string): Clock & { set(at: Date | string): void; advance(ms: number): void } {
  let t = new Date(at).getTime();
  return {
    now: () => new Date(t),
    set: (next) => {
      t = new Date(next).getTime();
    },
    advance: (ms) => {
      t += ms;
    },
  };
}
