/**
 * The emulator's clock: the local system's shared clock file (lib/shared-clock-file.ts — neutral code the runtime
 * and the app use too; the emulator still imports nothing of the app). `WARDEN_CLOCK_MODE=test` allows advancing it
 * through the admin API's `POST /admin/clock/advance`.
 */
import { SharedClockFile } from '../../lib/shared-clock-file';
import type { EmulatorClock } from './module';

export class SharedFileClock extends SharedClockFile implements EmulatorClock {
  static override fromEnv(
    env: NodeJS.ProcessEnv = process.env,
    overrides: { file?: string; test?: boolean } = {},
  ): SharedFileClock {
    return new SharedFileClock(
      overrides.file ?? (env.WARDEN_CLOCK_FILE || undefined),
      overrides.test ?? env.WARDEN_CLOCK_MODE === 'test',
    );
  }
}
