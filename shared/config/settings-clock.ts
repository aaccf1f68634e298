import { SharedClockFile } from '../../lib/shared-clock-file';
import { type Clock, systemClock } from '../domain/clock';
import type { Settings } from './settings';

/**
 * The app's side of the local shared clock (lib/shared-clock-file.ts): real time plus the offset in
 * `WARDEN_CLOCK_FILE`. Without a clock file (Azure), real time.
 */
export function clockFromSettings(settings: Pick<Settings, 'clock'>): Clock {
  const file = settings.clock.file;
  if (!file) return systemClock;
  const shared = new SharedClockFile(file, false);
  return { now: () => new Date(shared.now()) };
}
