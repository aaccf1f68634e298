/**
 * The emulator's side of the local system's shared clock protocol (the runtime implements its own; neither imports
 * the other): env `WARDEN_CLOCK_FILE` names a JSON file `{"offsetMs": n}` (missing = 0); writers replace it
 * atomically (temporary file + rename); readers re-read it when its mtime changes. `WARDEN_CLOCK_MODE=test` allows
 * advancing it (the admin API's `POST /admin/clock/advance`).
 */
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import type { EmulatorClock } from './module';

export class SharedFileClock implements EmulatorClock {
  /** How often (ms) `now()` may stat the file. */
  static readonly recheckMs = 25;
  private offsetMs = 0;
  private lastCheck = 0;
  private lastMtimeMs = -1;
  private readonly listeners = new Set<() => void>();
  private poller: NodeJS.Timeout | undefined;

  constructor(
    readonly file: string | undefined,
    readonly advanceable: boolean,
  ) {
    this.refresh(true);
  }

  static fromEnv(
    env: NodeJS.ProcessEnv = process.env,
    overrides: { file?: string; test?: boolean } = {},
  ): SharedFileClock {
    return new SharedFileClock(
      overrides.file ?? (env.WARDEN_CLOCK_FILE || undefined),
      overrides.test ?? env.WARDEN_CLOCK_MODE === 'test',
    );
  }

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
    if (!force && t - this.lastCheck < SharedFileClock.recheckMs) return;
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
        return; // mid-write on a filesystem without atomic rename: read again next time
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
