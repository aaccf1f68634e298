import { SharedClockFile } from '../../lib/shared-clock-file';

/** One time source for timers, schedules and the durable engine. */
export interface Clock {
  /** Milliseconds since the epoch, offset in test mode. */
  now(): number;
  /** Called (asynchronously) whenever the offset changes, in this process or another one sharing the file. */
  onChange(listener: () => void): () => void;
}

/**
 * The runtime's clock: the local system's shared clock file (lib/shared-clock-file.ts), which the emulator and the
 * app read too.
 */
export class SharedClock extends SharedClockFile implements Clock {
  static override fromEnv(env: NodeJS.ProcessEnv = process.env): SharedClock {
    return new SharedClock(env.WARDEN_CLOCK_FILE || undefined, env.WARDEN_CLOCK_MODE === 'test');
  }
}
