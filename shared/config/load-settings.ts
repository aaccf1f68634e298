import type { FieldIssue } from '../domain/errors';
import { parseMetadataConnection } from './metadata-connection';
import { EnvSettingsSchema, groupSettings, type Settings } from './settings';
import { SettingsError } from './settings-error';

let cached: Settings | undefined;

/**
 * Reads and validates every app setting from `env` into one typed object. Throws a {@link SettingsError} naming
 * each missing or malformed setting and what is wrong with it (never its value).
 *
 * @param baseDir Directory that relative paths (the SQLite file, the clock file) resolve against: the app's
 *   directory, which is the working directory under `func start` and our runtime.
 */
export function loadSettings(
  env: Readonly<Record<string, string | undefined>> = process.env,
  baseDir: string = process.cwd(),
): Settings {
  const issues: FieldIssue[] = [];
  // An empty value means "not set" (local.settings.json lists optional settings with empty values).
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v.trim() !== ''));
  const parsed = EnvSettingsSchema.safeParse(present);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const setting = String(issue.path[0] ?? '');
      const message = issue.code === 'invalid_type' && issue.input === undefined ? 'is required' : issue.message;
      if (!issues.some((i) => i.path === setting)) issues.push({ path: setting, message });
    }
    throw new SettingsError(issues);
  }
  const s = parsed.data;
  const metadata = parseMetadataConnection(s.WARDEN_METADATA_DB, s.WARDEN_METADATA_DIALECT, baseDir);
  if (typeof metadata === 'string') issues.push({ path: 'WARDEN_METADATA_DB', message: metadata });
  if (s.WARDEN_NOTIFIER === 'eventgrid' && !s.WARDEN_NOTIFY_EVENTGRID_ENDPOINT)
    issues.push({ path: 'WARDEN_NOTIFY_EVENTGRID_ENDPOINT', message: 'is required when WARDEN_NOTIFIER is eventgrid' });
  if (s.WARDEN_CLOCK_MODE === 'test' && !s.WARDEN_CLOCK_FILE)
    issues.push({
      path: 'WARDEN_CLOCK_FILE',
      message: 'is required when WARDEN_CLOCK_MODE is test (the shared clock lives there)',
    });
  if (issues.length > 0 || typeof metadata === 'string') throw new SettingsError(issues);
  return groupSettings(
    { ...s, WARDEN_CLOCK_FILE: s.WARDEN_CLOCK_FILE && pathFrom(baseDir, s.WARDEN_CLOCK_FILE) },
    metadata,
  );
}

function pathFrom(baseDir: string, file: string): string {
  return file.startsWith('/') || /^[A-Za-z]:[\\/]/.test(file) ? file : `${baseDir.replace(/[\\/]+$/, '')}/${file}`;
}

/**
 * The process's settings, read once on first use (start-up), then the same object every time: the composition
 * root calls this before registering functions, so a bad setting stops start-up.
 */
export function appSettings(): Settings {
  cached ??= loadSettings();
  return cached;
}
