import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * The `Values` of `local.settings.json` in `root`, or of the committed `local.settings.sample.json` when there is no
 * local file (a fresh clone), and which file they came from. What `func start` injects as environment variables.
 */
export function readLocalSettingsValues(root: string): { file: string; values: Record<string, string> } {
  for (const name of ['local.settings.json', 'local.settings.sample.json']) {
    const file = path.join(root, name);
    if (!existsSync(file)) continue;
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as { Values?: Record<string, unknown> };
    const values: Record<string, string> = {};
    for (const [k, v] of Object.entries(parsed.Values ?? {})) if (typeof v === 'string') values[k] = v;
    return { file, values };
  }
  return { file: '', values: {} };
}

/** The environment as `func start` builds it: the file's Values, never overriding variables already set. */
export function withLocalSettings(
  env: NodeJS.ProcessEnv,
  values: Record<string, string>,
): Record<string, string | undefined> {
  return { ...values, ...Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined)) };
}
