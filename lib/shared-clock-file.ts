/**
 * The local system's shared clock: real time plus an offset kept in a small JSON file that every local process
 * (launcher, runtime, emulator, app) reads, so advancing it in test mode moves the whole system at once.
 *
 * @remarks
 * `lib/` holds neutral building blocks that the runtime, the emulator and the app may all import (each must not
 * import the others). Protocol: environment variable `WARDEN_CLOCK_FILE` names the file; its content is
 * `{"offsetMs": <integer>}`; a missing file means offset 0. Writers replace the file atomically (temporary file, then
 * rename). Readers re-read it when its mtime changes, checked at most every {@link SharedClockFile.recheckMs} ms;
 * `onChange` listeners hear of changes made by other processes within ~50 ms. `WARDEN_CLOCK_MODE=test` allows
 * advancing it. Without a file (Azure), it is real time and cannot be advanced.
 */
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export class SharedClockFile {
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

  /** The clock named by `WARDEN_CLOCK_FILE` / `WARDEN_CLOCK_MODE=test`, unless overridden. */
  static fromEnv(
    env: NodeJS.ProcessEnv = process.env,
    overrides: { file?: string; test?: boolean } = {},
  ): SharedClockFile {
    return new SharedClockFile(
      overrides.file ?? (env.WARDEN_CLOCK_FILE || undefined),
      overrides.test ?? env.WARDEN_CLOCK_MODE === 'test',
    );
  }

  /** Milliseconds since the epoch, offset in test mode. */
  now(): number {
    this.refresh(false);
    return Date.now() + this.offsetMs;
  }

  nowIso(): string {
    return new Date(this.now()).toISOString();
  }

  get offset(): number {
    this.refresh(false);
    return this.offsetMs;
  }

  /** Moves time forward (test mode only); returns the new offset. Listeners here are told at once. */
  advance(ms: number): number {
    if (!this.advanceable) throw new Error('The clock can only be advanced in test mode (WARDEN_CLOCK_MODE=test).');
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`advance expects a non-negative number of ms, got ${ms}`);
    this.refresh(true);
    this.offsetMs += Math.round(ms);
    if (this.file) {
      mkdirSync(path.dirname(this.file), { recursive: true });
      const tmp = `${this.file}.${process.pid}.${Date.now()}.tmp`;
      writeFileSync(tmp, JSON.stringify({ offsetMs: this.offsetMs }));
      renameSync(tmp, this.file);
      this.lastMtimeMs = statSync(this.file).mtimeMs;
    }
    this.emit();
    return this.offsetMs;
  }

  /** Called (asynchronously) whenever the offset changes, in this process or another one sharing the file. */
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

  close(): void {
    this.listeners.clear();
    if (this.poller) clearInterval(this.poller);
    this.poller = undefined;
  }

  private refresh(force: boolean): void {
    if (!this.file) return;
    const t = Date.now();
    if (!force && t - this.lastCheck < SharedClockFile.recheckMs) return;
    this.lastCheck = t;
    let mtime: number;
    try {
      mtime = statSync(this.file).mtimeMs;
    } catch {
      mtime = 0;
    }
    if (mtime === this.lastMtimeMs) return;
    let next = 0;
    if (mtime !== 0) {
      try {
        const parsed = JSON.parse(readFileSync(this.file, 'utf8')) as { offsetMs?: unknown };
        if (typeof parsed.offsetMs === 'number' && Number.isFinite(parsed.offsetMs)) next = parsed.offsetMs;
      } catch {
        return; // a writer is mid-rename on a filesystem without atomic rename: read again next time
      }
    }
    this.lastMtimeMs = mtime;
    if (next !== this.offsetMs) {
      this.offsetMs = next;
      this.emit();
    }
  }

  private emit(): void {
    for (const listener of [...this.listeners]) queueMicrotask(listener);
  }
}
