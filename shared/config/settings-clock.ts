import { readFileSync, statSync } from 'node:fs';

import { type Clock, systemClock } from '../domain/clock';
import type { Settings } from './settings';

const RECHECK_MS = 25;

/**
 * The app's side of the local shared clock protocol: real time plus the offset in `WARDEN_CLOCK_FILE`
 * (`{"offsetMs": <integer>}`, missing file = 0), re-read when the file's mtime changes, checked at most every 25 ms.
 * Without a clock file (Azure), real time.
 */
export function clockFromSettings(settings: Pick<Settings, 'clock'>): Clock {
  const file = settings.clock.file;
  if (!file) return systemClock;
  let offsetMs = 0;
  let lastCheck = 0;
  let lastMtime = -1;
  const refresh = (): void => {
    const t = Date.now();
    if (t - lastCheck < RECHECK_MS) return;
    lastCheck = t;
    let mtime: number;
    try {
      mtime = statSync(file).mtimeMs;
    } catch {
      mtime = 0;
    }
    if (mtime === lastMtime) return;
    lastMtime = mtime;
    if (mtime === 0) {
      offsetMs = 0;
      return;
    }
    try {
      const parsed = JSON.parse(readFileSync(file, 'utf8')) as { offsetMs?: unknown };
      offsetMs = typeof parsed.offsetMs === 'number' && Number.isFinite(parsed.offsetMs) ? parsed.offsetMs : 0;
    } catch {
      lastMtime = -1; // mid-write: read again next time
    }
  };
  return {
    now: () => {
      refresh();
      return new Date(Date.now() + offsetMs);
    },
  };
}
