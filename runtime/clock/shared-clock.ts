import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** One time source for timers, schedules and the durable engine. */
export interface Clock {
  /** Milliseconds since the epoch, offset in test mode. */
  now(): number;
  /** Called (asynchronously) whenever the offset changes, in this process or another one sharing the file. */
  onChange(listener: () => void): () => void;
}

/**
 * The local system's shared clock: real time plus an offset kept in a small JSON file that every local process
 * (launcher, runtime, emulator, app) reads, so advancing it in test mode moves the whole system at once.
 *
 * @remarks
 * Protocol (the emulator and the app implement the reading side on their own, they import nothing from here):
 * environment variable `WARDEN_CLOCK_FILE` names the file; its content is `{"offsetMs": <integer>}`; a missing
 * file means offset 0. Writers replace the file atomically (write a temporary file, then rename). Readers re-read
 * when the file's mtime changes, checked at most every {@link SharedClock.recheckMs} ms.
 */
export class SharedClock implements Clock {
  static readonly recheckMs = 25;
  private offsetMs = 0;
  private lastCheck = 0;
  private lastMtimeMs = -1;
  private readonly listeners = new Set<() => void>();
  private poller: NodeJS.Timeout | undefined;

  constructor(
    /** The offset file; undefined for a real-time clock that cannot be advanced. */
    readonly file: string | undefined,
    /** Whether {@link advance} is allowed (test mode). */
    readonly advanceable = false,
  ) {
    this.refresh(true);
  }

  /** The clock named by `WARDEN_CLOCK_FILE` / `WARDEN_CLOCK_MODE=test` in the environment. */
  static fromEnv(env: NodeJS.ProcessEnv = process.env): SharedClock {
    return new SharedClock(env.WARDEN_CLOCK_FILE || undefined, env.WARDEN_CLOCK_MODE === 'test');
  }

  now(): number {
    this.refresh(false);
    return Date.now() + this.offsetMs;
  }

  get offset(): number {
    this.refresh(false);
    return this.offsetMs;
  }

  /** Moves time forward (test mode only). Listeners in this process are told at once, others within ~50 ms. */
  advance(ms: number): number {
    if (!this.advanceable) throw new Error('The clock can only be advanced in test mode (WARDEN_CLOCK_MODE=test).');
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`advance expects a non-negative number of ms, got ${ms}`);
    this.refresh(true);
    this.offsetMs += Math.round(ms);
    if (this.file) {
      mkdirSync(path.dirname(this.file), { recursive: true });
      const tmp = `${this.file}.${process.pid}.tmp`;
      writeFileSync(tmp, JSON.stringify({ offsetMs: this.offsetMs }));
      renameSync(tmp, this.file);
      this.lastMtimeMs = statSync(this.file).mtimeMs;
    }
    this.emit();
    return this.offsetMs;
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    if (this.file && !this.poller) {
      this.poller = setInterval(() => this.refresh(true), 50);
      this.poller.unref();
    }
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0 && this.poller) {
        clearInterval(this.poller);
        this.poller = undefined;
      }
    };
  }

  private refresh(force: boolean): void {
    if (!this.file) return;
    const t = Date.now();
    if (!force && t - this.lastCheck < SharedClock.recheckMs) return;
    this.lastCheck = t;
    let mtime: number;
    try {
      mtime = statSync(this.file).mtimeMs;
    } catch {
      mtime = 0;
    }
    if (mtime === this.lastMtimeMs) return;
    this.lastMtimeMs = mtime;
    let next = 0;
    if (mtime !== 0) {
      try {
        const parsed = JSON.parse(readFileSync(this.file, 'utf8')) as { offsetMs?: unknown };
        if (typeof parsed.offsetMs === 'number' && Number.isFinite(parsed.offsetMs)) next = parsed.offsetMs;
      } catch {
        return; // a writer is mid-rename on a filesystem without atomic rename; read again next time
      }
    }
    if (next !== this.offsetMs) {
      this.offsetMs = next;
      this.emit();
    }
  }

  private emit(): void {
    for (const listener of [...this.listeners]) queueMicrotask(listener);
  }
}
